"""Property-based fuzzing of every event type the platform registers.

For each registry type, generated payloads (valid per its schema, and broken: a field
dropped or of the wrong type, not an object, not JSON, truncated) are published on the
type's real topic with a valid CloudEvents envelope, for a tenant of their own. Then a
canary (a valid event built from the documented field examples) goes on every topic,
behind the fuzz batch in the same partition. Every consumer group of the four services
must commit past its canaries (it kept consuming), every broken payload of a type a
group handles must be in ``<topic>.dlq`` with that group and a reason in the headers,
and no valid payload may be dead-lettered as invalid or after exhausting retries (a
handler crash).

Reproducible: the payloads come from a derandomized hypothesis run without a database.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from agora_contracts.events import CloudEventEnvelope, EventSpec
from agora_contracts.events.schemas import load_platform_events
from agora_core.messaging.batch_consumer import BatchEventConsumer
from agora_core.messaging.dead_letters import DLQ_HEADER_PREFIX, dlq_topic
from agora_core.testing import eventually
from agora_core.testing.event_tap import ensure_topics, topic_partitions

from .case_count import GENERATED_CASES, scaled
from .event_strategies import event_bodies, example_body
from .platform_stack import Platform

# Generating the payloads alone takes minutes on a loaded machine: more than the default
# per-test timeout, which would otherwise fail the module fixture.
pytestmark = [pytest.mark.security, pytest.mark.integration, pytest.mark.timeout(1800)]

EXAMPLES_PER_TYPE = scaled(30)
"""With 35 event types, about 1,050 events per run (roughly 60 % valid): consumers do
real database work for each valid one, which is what bounds the wall time here."""


@dataclass(frozen=True)
class FuzzEvent:
    spec: EventSpec
    event_id: str
    body: bytes
    valid: bool


@dataclass
class FuzzRun:
    """What was published and what the consumers made of it."""

    tenant: str
    events: list[FuzzEvent]
    consumers: list[BatchEventConsumer]
    dead_letters: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    """(event id, consumer group) → headers of its DLQ record."""


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_TYPE,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def bodies_of(spec: EventSpec) -> list[FuzzEvent]:
    """Bodies drawn by hypothesis (derandomized) for one type, each judged by its model."""
    events: list[FuzzEvent] = []

    @FUZZ_SETTINGS
    @given(body=event_bodies(spec))
    def collect(body: bytes) -> None:
        try:
            spec.payload.model_validate_json(body)
            valid = True
        except ValidationError:
            valid = False
        events.append(FuzzEvent(spec, str(uuid.uuid4()), body, valid))

    collect()
    return events


def generated_events() -> list[FuzzEvent]:
    """Bodies for every registered type."""
    return [event for spec in load_platform_events() for event in bodies_of(spec)]


def envelope_headers(spec: EventSpec, event_id: str, tenant: str) -> list[tuple[str, bytes]]:
    envelope = CloudEventEnvelope(
        id=uuid.UUID(event_id),
        source="/agora/security-fuzz",
        type=spec.event_type,
        time=dt.datetime.now(dt.UTC),
        subject="fuzz-subject",
        tenantid=tenant,
    )
    return [(name, value.encode()) for name, value in envelope.to_headers().items()]


async def committed_past(
    admin: AIOKafkaAdminClient, group: str, canaries: dict[TopicPartition, int]
) -> bool:
    offsets = await admin.list_consumer_group_offsets(group, partitions=list(canaries))
    return all(tp in offsets and offsets[tp].offset > offset for tp, offset in canaries.items())


async def end_offsets(kafka: str, topics: list[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await topic_partitions(topics, bootstrap_servers=kafka)
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


async def _reached(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> bool:
    return all([await consumer.position(tp) >= offset for tp, offset in end.items()])


async def read_between(
    kafka: str, start: dict[TopicPartition, int], end: dict[TopicPartition, int]
) -> list[dict[str, str]]:
    """Headers of every record in [start, end) of each partition."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    headers: list[dict[str, str]] = []
    try:
        wanted = {tp: e for tp, e in end.items() if e > start.get(tp, 0)}
        if not wanted:
            return headers
        consumer.assign(list(wanted))
        for tp in wanted:
            consumer.seek(tp, start.get(tp, 0))
        while not await _reached(consumer, wanted):
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                headers.extend(
                    {k: v.decode("utf-8", "replace") for k, v in record.headers or ()}
                    for record in records
                )
    finally:
        await consumer.stop()
    return headers


@pytest.fixture(scope="module")
async def fuzz_run(platform: Platform) -> FuzzRun:
    tenant = f"t-evfuzz-{uuid.uuid4().hex[:8]}"
    events = generated_events()
    GENERATED_CASES["event payloads"] += len(events)
    registry = load_platform_events()
    topics = registry.topics()
    dlq_topics = [dlq_topic(topic) for topic in topics]
    await ensure_topics(platform.kafka, dlq_topics)
    before = await end_offsets(platform.kafka, dlq_topics)

    producer = AIOKafkaProducer(bootstrap_servers=platform.kafka, linger_ms=20)
    await producer.start()
    canaries: dict[TopicPartition, int] = {}
    try:
        for event in events:
            # One key per topic: the batch and the canary after it share a partition.
            await producer.send(
                event.spec.topic,
                event.body,
                key=f"fuzz-{event.spec.topic}".encode(),
                headers=envelope_headers(event.spec, event.event_id, tenant),
            )
        for topic in topics:
            spec = registry.on_topic(topic)[0]
            sent = await producer.send_and_wait(
                topic,
                example_body(spec),
                key=f"fuzz-{topic}".encode(),
                headers=envelope_headers(spec, str(uuid.uuid4()), tenant),
            )
            canaries[TopicPartition(topic, sent.partition)] = sent.offset
    finally:
        await producer.stop()

    consumers = [c for s in platform.services.values() for c in s.runtime.consumers]
    admin = AIOKafkaAdminClient(bootstrap_servers=platform.kafka)
    await admin.start()
    try:
        for consumer in consumers:
            assigned = {tp.topic for tp in consumer.assignment}
            mine = {tp: offset for tp, offset in canaries.items() if tp.topic in assigned}

            async def past_canaries(
                group: str = consumer.group_id, mine: dict[TopicPartition, int] = mine
            ) -> bool:
                return await committed_past(admin, group, mine)

            await eventually(past_canaries, timeout=900, interval=1.0)
    finally:
        await admin.close()

    after = await end_offsets(platform.kafka, dlq_topics)
    run = FuzzRun(tenant, events, consumers)
    for headers in await read_between(platform.kafka, before, after):
        if headers.get("ce_tenantid") == tenant:
            run.dead_letters[(headers["ce_id"], headers[f"{DLQ_HEADER_PREFIX}group"])] = headers
    return run


def test_every_consumer_kept_consuming(fuzz_run: FuzzRun) -> None:
    """The fixture waited for each group to commit past its canaries; it has groups."""
    assert fuzz_run.consumers, "no consumer was running"
    assert sum(e.valid for e in fuzz_run.events) > 0
    assert sum(not e.valid for e in fuzz_run.events) > 0


def test_broken_payloads_are_dead_lettered_with_a_reason(fuzz_run: FuzzRun) -> None:
    missing, without_reason = [], []
    for event in (e for e in fuzz_run.events if not e.valid):
        for consumer in fuzz_run.consumers:
            if event.spec.event_type not in consumer.handled_types:
                continue
            headers = fuzz_run.dead_letters.get((event.event_id, consumer.group_id))
            if headers is None:
                missing.append(f"{event.spec.event_type} {event.body[:80]!r} ({consumer.group_id})")
            elif headers.get(f"{DLQ_HEADER_PREFIX}reason") != "invalid-payload" or not headers.get(
                f"{DLQ_HEADER_PREFIX}error"
            ):
                without_reason.append(headers)
    assert not missing, f"{len(missing)} broken payloads not dead-lettered: {missing[:5]}"
    assert not without_reason, f"dead letters without the reason: {without_reason[:3]}"


def test_valid_payloads_are_handled(fuzz_run: FuzzRun) -> None:
    """A valid payload is never refused as invalid, nor dead-lettered by a crashing handler."""
    wrong = []
    for event in (e for e in fuzz_run.events if e.valid):
        for consumer in fuzz_run.consumers:
            headers = fuzz_run.dead_letters.get((event.event_id, consumer.group_id))
            reason = headers and headers.get(f"{DLQ_HEADER_PREFIX}reason")
            if reason in ("invalid-payload", "retries-exhausted"):
                wrong.append(
                    f"{event.spec.event_type} ({consumer.group_id}): {reason}: "
                    f"{headers.get(f'{DLQ_HEADER_PREFIX}error') if headers else ''}"
                )
    assert not wrong, f"{len(wrong)} valid payloads dead-lettered: {wrong[:5]}"


async def test_services_answer_after_the_event_fuzzing(
    platform: Platform, fuzz_run: FuzzRun
) -> None:
    for service in platform.services.values():
        assert await service.healthy(), f"{service.name} stopped answering"
