"""Reading a consumed Kafka record: its headers, and the event it carries."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from aiokafka import ConsumerRecord
from pydantic import ValidationError

from agora_contracts.events import CloudEventEnvelope, EnvelopeError, EventRegistry
from agora_core.messaging.dead_letters import DeadLetter
from agora_core.messaging.events import ReceivedEvent


def parse_record(
    record: ConsumerRecord[Any, Any],
    registry: EventRegistry,
    handled: Collection[str],
    max_payload_bytes: int,
) -> ReceivedEvent[Any] | None:
    """The event ``record`` carries; None for a type not handled here.

    Raises :class:`DeadLetter` for a record no retry can fix: a broken envelope, a
    type on the wrong topic, an oversize or invalid payload.
    """
    try:
        envelope = CloudEventEnvelope.from_headers(record.headers or ())
    except EnvelopeError as error:
        raise DeadLetter("invalid-envelope", str(error)) from None
    if not registry.knows(envelope.type) or envelope.type not in handled:
        return None
    spec = registry.spec(envelope.type)
    if spec.topic != record.topic:
        raise DeadLetter("wrong-topic", f"{envelope.type} belongs on {spec.topic}")
    value = record.value or b""
    if len(value) > max_payload_bytes:
        raise DeadLetter("oversize", f"payload of {len(value)} bytes")
    try:
        payload = spec.payload.model_validate_json(value)
    except ValidationError as error:
        raise DeadLetter("invalid-payload", _summarise(error)) from None
    key = record.key.decode("utf-8", "replace") if record.key is not None else None
    return ReceivedEvent(envelope, payload, record.topic, record.partition, record.offset, key)


def header(record: ConsumerRecord[Any, Any], name: str) -> str | None:
    """The value of header ``name`` of ``record`` (None when absent)."""
    for key, raw in record.headers or ():
        if key == name:
            return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return None


def _summarise(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(payload)'}: {e['msg']}" for e in error.errors()
    )[:2000]
