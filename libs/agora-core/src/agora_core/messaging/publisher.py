"""Publishing to Kafka through the FastStream broker (idempotent aiokafka producer)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity

from agora_core.messaging.events import OutgoingEvent
from agora_core.messaging.metrics import EVENTS_PRODUCED


@dataclass(frozen=True)
class RawRecord:
    """A record published byte for byte (dead-lettering and replay keep the original)."""

    key: bytes | None
    value: bytes
    headers: Mapping[str, str]


def create_broker(
    bootstrap_servers: str, *, client_id: str, security: BaseSecurity | None = None
) -> KafkaBroker:
    """A broker whose producer is idempotent and waits for all in-sync replicas.

    A short linger batches the records the outbox relay pipelines.
    """
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        security=security,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=15_000,
        logger=None,
    )


class EventPublisher:
    """Publishes serialised events; many at once are pipelined, then all confirmed."""

    def __init__(self, broker: KafkaBroker, *, service: str) -> None:
        self._broker = broker
        self._service = service

    async def publish(self, event: OutgoingEvent) -> None:
        await self.publish_many([event])

    async def publish_many(self, events: Sequence[OutgoingEvent]) -> None:
        """Send every event, then wait for every acknowledgement (raises on any failure).

        Records with the same key go to one partition in send order, and the
        idempotent producer keeps that order across its own retries.
        """
        pending: list[asyncio.Future[Any]] = []
        for event in events:
            future = await self._broker.publish(
                event.value,
                event.topic,
                key=event.key.encode("utf-8"),
                headers=event.headers,
                correlation_id=event.event_id,
                no_confirm=True,
            )
            pending.append(future)
        if pending:
            await asyncio.gather(*pending)
        for event in events:
            EVENTS_PRODUCED.labels(self._service, event.topic).inc()

    async def publish_raw(
        self, topic: str, *, key: bytes | None, value: bytes, headers: Mapping[str, str]
    ) -> None:
        """Publish bytes as they are (dead-lettering keeps the original record)."""
        await self._broker.publish(value, topic, key=key, headers=dict(headers))
        EVENTS_PRODUCED.labels(self._service, topic).inc()

    async def publish_raw_many(self, topic: str, records: Sequence[RawRecord]) -> None:
        """Publish records as they are, pipelined, then wait for every acknowledgement."""
        pending: list[asyncio.Future[Any]] = []
        for record in records:
            future = await self._broker.publish(
                record.value,
                topic,
                key=record.key,
                headers=dict(record.headers),
                no_confirm=True,
            )
            pending.append(future)
        if pending:
            await asyncio.gather(*pending)
        EVENTS_PRODUCED.labels(self._service, topic).inc(len(records))
