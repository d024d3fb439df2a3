"""Publishing to Kafka through the process's idempotent aiokafka producer."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import structlog
from aiokafka.errors import (
    InvalidProducerEpoch,
    OutOfOrderSequenceNumber,
    ProducerFenced,
    UnknownProducerId,
)

from agora_core.messaging.events import OutgoingEvent
from agora_core.messaging.kafka_connection import KafkaConnection
from agora_core.messaging.metrics import EVENTS_PRODUCED, PRODUCERS_REPLACED
from agora_core.tracing.spans import publish_spans

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RawRecord:
    """A record published byte for byte (dead-lettering and replay keep the original)."""

    key: bytes | None
    value: bytes
    headers: Mapping[str, str]


FATAL_PRODUCER_ERRORS: Final = (
    OutOfOrderSequenceNumber,
    UnknownProducerId,
    InvalidProducerEpoch,
    ProducerFenced,
)
"""Errors after which an idempotent producer refuses every later batch of the
partition: it keeps its producer id and sequence numbers, and the broker's state no
longer matches them (seen after a broker restart interrupted a produce)."""


class EventPublisher:
    """Publishes serialised events; many at once are pipelined, then all confirmed.

    A producer that fell into a state it cannot leave (:data:`FATAL_PRODUCER_ERRORS`)
    is replaced by a new one (a new producer id) before the error is raised, so the
    caller's retry (the relay's next round, the DLQ publish's retry) goes through;
    delivery stays at-least-once and consumers dedupe on the event id.
    """

    def __init__(self, broker: KafkaConnection, *, service: str) -> None:
        self._broker = broker
        self._service = service
        self._replacing = asyncio.Lock()
        # Cleared while the producer is replaced: other publishers wait for the new one.
        self._usable = asyncio.Event()
        self._usable.set()
        self.producers_replaced = 0

    async def _replace_producer(self, error: BaseException) -> None:
        async with self._replacing:
            self._usable.clear()
            try:
                log.warning("replacing the Kafka producer", error=repr(error))
                PRODUCERS_REPLACED.labels(self._service).inc()
                self.producers_replaced += 1
                # The connection builds producers from its own settings (security
                # included); its consumers are left as they are.
                await self._broker.replace_producer()
            finally:
                self._usable.set()

    async def _confirmed(self, pending: Sequence[asyncio.Future[Any]]) -> None:
        """Wait for every acknowledgement; replace the producer on a fatal error."""
        results = await asyncio.gather(*pending, return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        if not errors:
            return
        fatal = next((e for e in errors if isinstance(e, FATAL_PRODUCER_ERRORS)), None)
        if fatal is not None:
            await self._replace_producer(fatal)
            raise fatal
        raise errors[0]

    async def publish(self, event: OutgoingEvent) -> None:
        await self.publish_many([event])

    async def publish_many(self, events: Sequence[OutgoingEvent]) -> None:
        """Send every event, then wait for every acknowledgement (raises on any failure).

        Records with the same key go to one partition in send order, and the
        idempotent producer keeps that order across its own retries.
        """
        await self._usable.wait()
        with publish_spans(events):
            await self._send_and_confirm(events)
        for topic, count in Counter(event.topic for event in events).items():
            EVENTS_PRODUCED.labels(self._service, topic).inc(count)

    async def _send_and_confirm(self, events: Sequence[OutgoingEvent]) -> None:
        pending: list[asyncio.Future[Any]] = []
        for event in events:
            future = await self._broker.producer.send(
                event.topic,
                event.value,
                key=event.key.encode("utf-8"),
                headers=_header_list(event.headers),
            )
            pending.append(future)
        if pending:
            await self._confirmed(pending)

    async def publish_raw(
        self, topic: str, *, key: bytes | None, value: bytes, headers: Mapping[str, str]
    ) -> None:
        """Publish bytes as they are (dead-lettering keeps the original record)."""
        await self._usable.wait()
        future = await self._broker.producer.send(
            topic, value, key=key, headers=_header_list(headers)
        )
        await self._confirmed([future])
        EVENTS_PRODUCED.labels(self._service, topic).inc()

    async def publish_raw_many(self, topic: str, records: Sequence[RawRecord]) -> None:
        """Publish records as they are, pipelined, then wait for every acknowledgement."""
        await self._usable.wait()
        pending: list[asyncio.Future[Any]] = []
        for record in records:
            future = await self._broker.producer.send(
                topic, record.value, key=record.key, headers=_header_list(record.headers)
            )
            pending.append(future)
        if pending:
            await self._confirmed(pending)
        EVENTS_PRODUCED.labels(self._service, topic).inc(len(records))


def _header_list(headers: Mapping[str, str]) -> list[tuple[str, bytes]]:
    """Kafka record headers (UTF-8 values) from a mapping."""
    return [(name, value.encode("utf-8")) for name, value in headers.items()]
