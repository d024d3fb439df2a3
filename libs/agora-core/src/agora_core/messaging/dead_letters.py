"""Dead-letter topics: their names and the copy of a record a consumer writes there.

A record that can never be handled (a broken envelope, an invalid payload, a handler
that rejects it, transient failures past the retry budget) is copied to
``<topic>.dlq`` with headers saying why, where it came from and when; the original
stays on its topic until retention. Operators replay the copies
(:mod:`agora_core.messaging.replay`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRecord

DLQ_SUFFIX = ".dlq"
DLQ_HEADER_PREFIX = "agora-dlq-"

DLQ_VALUE_LIMIT = 256 * 1024
"""Bytes of a record's value a DLQ copy keeps. A value near the broker's message size
limit plus the DLQ headers would not fit, and a DLQ publish that can never succeed
would stall its partition forever; the original stays on its topic at the recorded
partition and offset until retention."""


def dlq_topic(topic: str) -> str:
    """The dead-letter topic of ``topic``."""
    return f"{topic}{DLQ_SUFFIX}"


class DeadLetter(Exception):
    """The record must go to the DLQ with this reason."""

    def __init__(self, reason: str, detail: str, attempts: int = 0) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.attempts = attempts


def dead_letter_copy(
    record: ConsumerRecord[Any, Any], dead: DeadLetter, group_id: str
) -> tuple[dict[str, str], bytes]:
    """The headers and value of ``record``'s copy on its dead-letter topic.

    The original headers are kept (minus any earlier DLQ headers), the DLQ headers say
    why and whence, and a value over :data:`DLQ_VALUE_LIMIT` is truncated (the
    ``truncated-from`` header gives its original size).
    """
    headers = {
        name: raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        for name, raw in (record.headers or ())
        if not name.startswith(DLQ_HEADER_PREFIX)
    }
    headers.update(
        {
            f"{DLQ_HEADER_PREFIX}reason": dead.reason,
            f"{DLQ_HEADER_PREFIX}error": dead.detail[:2000],
            f"{DLQ_HEADER_PREFIX}topic": record.topic,
            f"{DLQ_HEADER_PREFIX}partition": str(record.partition),
            f"{DLQ_HEADER_PREFIX}offset": str(record.offset),
            f"{DLQ_HEADER_PREFIX}group": group_id,
            f"{DLQ_HEADER_PREFIX}attempts": str(dead.attempts),
            f"{DLQ_HEADER_PREFIX}time": datetime.now(UTC).isoformat(),
        }
    )
    value = record.value or b""
    if len(value) > DLQ_VALUE_LIMIT:
        headers[f"{DLQ_HEADER_PREFIX}truncated-from"] = str(len(value))
        value = value[:DLQ_VALUE_LIMIT]
    return headers, value
