"""Watch the real broker from a test: what a service published, and feed it events.

Service topics are shared by every test of a run, so a tap starts at the end of each
topic (nothing older is seen) and tests filter by tenant: each test uses its own tenant.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from agora_contracts.events import CloudEventEnvelope
from agora_core.messaging.events import OutgoingEvent
from agora_core.messaging.kafka_connection import create_broker
from agora_core.messaging.partitions import topic_partitions as topic_partitions
from agora_core.messaging.publisher import EventPublisher
from agora_core.settings import KafkaSettings
from agora_core.testing import eventually
from agora_core.topics import TopicsSettings, provision, topic_specs


@dataclass(frozen=True)
class TappedEvent:
    """One record seen on the broker, decoded."""

    envelope: CloudEventEnvelope
    data: dict[str, Any]
    topic: str
    key: str | None

    @property
    def type(self) -> str:
        return self.envelope.type

    @property
    def tenant_id(self) -> str:
        return self.envelope.tenantid


def plaintext_kafka(bootstrap: str) -> KafkaSettings:
    """Settings of the test broker's plaintext listener, whatever AGORA_KAFKA_* say."""
    return KafkaSettings(
        kafka_bootstrap_servers=bootstrap,
        kafka_security_protocol="PLAINTEXT",
        kafka_sasl_username=None,
        kafka_sasl_password=None,
        kafka_ssl_ca_file=None,
        kafka_ssl_cert_file=None,
        kafka_ssl_key_file=None,
    )


async def ensure_topics(
    bootstrap: str, topics: Iterable[str], partitions: int = 3, *, dead_letters: bool = True
) -> None:
    """Create those of ``topics`` (and of their ``.dlq``) that do not exist yet, with
    the code of ``agora_core.topics apply``.

    The broker never auto-creates a topic: a test's own topics (a test registry's,
    an ad-hoc one) are created here; the platform's come from ``infra.sh up``.
    Existing topics are left exactly as they are.
    """
    settings = TopicsSettings(partitions=partitions, dlq_partitions=1, replication_factor=1)
    specs = topic_specs(topics, settings, dead_letters=dead_letters)
    await provision(plaintext_kafka(bootstrap), specs, wait_seconds=0, create_only=True)


async def end_offsets(bootstrap: str, topics: Sequence[str]) -> dict[TopicPartition, int]:
    """The next offset of every partition of ``topics`` (where the next record goes)."""
    partitions = await topic_partitions(topics, bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def wait_caught_up(
    bootstrap: str,
    group: str,
    topics: Sequence[str],
    *,
    timeout: float = 240.0,
    interval: float = 0.5,
) -> None:
    """Until ``group`` has committed every record published on ``topics`` so far: each
    one reached a final state (handled, duplicate, ignored or dead-lettered). Asks the
    broker, not the service's database."""
    target = await end_offsets(bootstrap, topics)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:

        async def caught_up() -> bool:
            committed = await admin.list_consumer_group_offsets(group)
            return all(
                tp in committed and committed[tp].offset >= end for tp, end in target.items()
            )

        await eventually(caught_up, timeout=timeout, interval=interval)
    finally:
        await admin.close()


async def start_group_at_end(bootstrap: str, group: str, topics: Sequence[str]) -> None:
    """Commit ``group`` at the end of every topic, before any member of it starts.

    A new group starts at the earliest offset, so a service consuming shared topics
    would first replay everything earlier tests, runs and benchmarks published there.
    """
    await ensure_topics(bootstrap, topics)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        partitions = await topic_partitions(topics, bootstrap_servers=bootstrap)
        consumer.assign(partitions)
        await consumer.commit(dict(await consumer.end_offsets(partitions)))
    finally:
        await consumer.stop()


class EventTap:
    """Records every event published on ``topics`` after :meth:`start` returned."""

    def __init__(self, bootstrap: str, topics: Sequence[str]) -> None:
        self._bootstrap = bootstrap
        self._topics = list(topics)
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self.events: list[TappedEvent] = []
        self.undecodable: list[ConsumerRecord[Any, Any]] = []
        self._arrived = asyncio.Condition()

    async def start(self) -> None:
        await ensure_topics(self._bootstrap, self._topics)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap, group_id=None, enable_auto_commit=False
        )
        await consumer.start()
        partitions = await topic_partitions(self._topics, bootstrap_servers=self._bootstrap)
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        # position() resolves the end offsets now, so nothing published after start is missed
        for tp in partitions:
            await consumer.position(tp)
        self._consumer = consumer
        self._task = asyncio.create_task(self._collect(), name="event-tap")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()

    async def _collect(self) -> None:
        assert self._consumer is not None
        while True:
            batch = await self._consumer.getmany(timeout_ms=200)
            if not batch:
                continue
            async with self._arrived:
                for records in batch.values():
                    for record in records:
                        self._record(record)
                self._arrived.notify_all()

    def _record(self, record: ConsumerRecord[Any, Any]) -> None:
        headers = {k: v.decode() for k, v in record.headers or ()}
        try:
            envelope = CloudEventEnvelope.from_headers(headers)
            data = json.loads(record.value)
        except Exception:  # a test asserts on what it expected; keep the rest for debugging
            self.undecodable.append(record)
            return
        key = record.key.decode() if record.key is not None else None
        self.events.append(TappedEvent(envelope, data, record.topic, key))

    def matching(
        self,
        event_type: str,
        *,
        tenant: str | None = None,
        subject: str | None = None,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> list[TappedEvent]:
        """Events seen so far of this type (and tenant, subject, payload predicate)."""
        return [
            e
            for e in self.events
            if e.type == event_type
            and (tenant is None or e.tenant_id == tenant)
            and (subject is None or e.envelope.subject == subject)
            and (where is None or where(e.data))
        ]

    async def wait_for(
        self,
        event_type: str,
        *,
        tenant: str | None = None,
        subject: str | None = None,
        where: Callable[[dict[str, Any]], bool] | None = None,
        count: int = 1,
        timeout: float = 30.0,
    ) -> list[TappedEvent]:
        """Wait until ``count`` matching events arrived; fail saying what was seen."""

        def enough() -> bool:
            return len(self.matching(event_type, tenant=tenant, subject=subject, where=where)) >= (
                count
            )

        try:
            async with asyncio.timeout(timeout), self._arrived:
                await self._arrived.wait_for(enough)
        except TimeoutError:
            seen = sorted({e.type for e in self.events if tenant is None or e.tenant_id == tenant})
            found = len(self.matching(event_type, tenant=tenant, subject=subject, where=where))
            raise AssertionError(
                f"expected {count} {event_type} event(s) within {timeout}s, got {found}; "
                f"types seen for this tenant: {seen}"
            ) from None
        return self.matching(event_type, tenant=tenant, subject=subject, where=where)


@contextlib.asynccontextmanager
async def tapping(bootstrap: str, topics: Sequence[str]) -> AsyncIterator[EventTap]:
    """An :class:`EventTap` running for the duration of the block."""
    tap = EventTap(bootstrap, topics)
    await tap.start()
    try:
        yield tap
    finally:
        await tap.stop()


async def publish_events(bootstrap: str, events: Sequence[OutgoingEvent]) -> None:
    """Publish events as another service would (tests of a service's consumers)."""
    broker = create_broker(bootstrap, client_id="agora-tests")
    await broker.start()
    try:
        await EventPublisher(broker, service="tests").publish_many(events)
    finally:
        await broker.stop()


async def publish_raw(
    bootstrap: str, topic: str, value: bytes, headers: dict[str, str], key: bytes | None = None
) -> None:
    """Publish a record as it is: malformed payloads and envelopes for DLQ tests."""
    broker = create_broker(bootstrap, client_id="agora-tests")
    await broker.start()
    try:
        await EventPublisher(broker, service="tests").publish_raw(
            topic, key=key, value=value, headers=headers
        )
    finally:
        await broker.stop()
