"""Operators' replay and rewind through the real gRPC admin service, broker and PostgreSQL.

One counter service per module; each test has its own tenant and counter. Effects
are checked in the database; "nothing doubled" is proven by a marker event published
after the replayed ones on the same key (same partition, so handled after them).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import grpc
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import REGISTRY

from agora.admin.v1 import admin_pb2
from agora.admin.v1.admin_pb2_grpc import OperationsServiceStub
from agora_core.messaging.dead_letters import dlq_topic
from agora_core.messaging.rewind import GroupHasMembers, rewind_idle_group
from agora_core.runtime import ServiceRuntime
from agora_core.testing import eventually
from agora_core.testing.event_tap import (
    ensure_topics,
    publish_events,
    start_group_at_end,
    tapping,
)
from agora_core.testing.grpc_assertions import assert_status, caller, rpc_error
from agora_core.testing.postgres import create_test_database, drop_test_database
from agora_core.testing.service_harness import channel_to, running_service, test_settings

from .counter_service import CounterSettings, CounterWorld, Outage, builder, counter_value

if TYPE_CHECKING:
    from agora.admin.v1.admin_pb2_grpc import OperationsServiceAsyncStub

pytestmark = pytest.mark.integration

OPERATOR_TENANT = "ops"
OPERATOR = caller(["admin"], tenant=OPERATOR_TENANT, subject="operator-1")


@pytest.fixture(scope="module")
def world() -> CounterWorld:
    return CounterWorld(uuid.uuid4().hex[:10])


@pytest.fixture(scope="module")
def outage() -> Outage:
    return Outage()


@pytest.fixture(scope="module")
async def runtime(
    kafka_bootstrap: str, postgres_admin_dsn: str, world: CounterWorld, outage: Outage
) -> AsyncIterator[ServiceRuntime]:
    await ensure_topics(kafka_bootstrap, [world.topic, dlq_topic(world.topic)])
    name, dsn = await create_test_database(postgres_admin_dsn, prefix="replay")
    settings = test_settings(
        CounterSettings,
        kafka=kafka_bootstrap,
        postgres_dsn=dsn,
        operator_tenant=OPERATOR_TENANT,
        consumer_max_attempts=2,
    )
    try:
        async with running_service(builder(world, outage), settings) as running:
            yield running
    finally:
        await drop_test_database(postgres_admin_dsn, name)


@pytest.fixture(scope="module")
async def ops(runtime: ServiceRuntime) -> AsyncIterator[OperationsServiceAsyncStub]:
    async with channel_to(runtime) as channel:
        yield OperationsServiceStub(channel)


async def counter(runtime: ServiceRuntime, tenant: str, counter_id: str) -> int:
    return await counter_value(runtime.require_postgres(), tenant, counter_id)


async def wait_for_counter(
    runtime: ServiceRuntime, tenant: str, counter_id: str, value: int
) -> None:
    async def reached() -> bool:
        return await counter(runtime, tenant, counter_id) == value

    reached.__qualname__ = f"counter {tenant}:{counter_id} == {value}"
    await eventually(reached, timeout=60)


def stamp(moment: datetime) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(moment)
    return result


def consumed(runtime: ServiceRuntime, world: CounterWorld, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "agora_events_consumed_total",
        {
            "service": runtime.service,
            "topic": world.topic,
            "type": world.event_type,
            "outcome": outcome,
        },
    )
    return value or 0.0


async def dead_letter_one(
    runtime: ServiceRuntime, world: CounterWorld, outage: Outage, kafka: str, tenant: str
) -> str:
    """Publish one event while the handler is broken; return its id once dead-lettered."""
    event = world.event("c-1", tenant=tenant, amount=5)
    async with tapping(kafka, [dlq_topic(world.topic)]) as dlq:
        outage.active = True
        try:
            await publish_events(kafka, [event])
            await dlq.wait_for(world.event_type, tenant=tenant, timeout=60)
        finally:
            outage.active = False
    assert await counter(runtime, tenant, "c-1") == 0
    return event.event_id


async def test_replayed_dead_letter_is_applied_once_and_a_second_replay_sends_nothing(
    runtime: ServiceRuntime,
    ops: OperationsServiceAsyncStub,
    world: CounterWorld,
    outage: Outage,
    kafka_bootstrap: str,
    unique: str,
) -> None:
    tenant = f"t-{unique}"
    event_id = await dead_letter_one(runtime, world, outage, kafka_bootstrap, tenant)

    dry = await ops.ReplayDeadLetters(
        admin_pb2.ReplayDeadLettersRequest(topic=world.topic, tenant_id=tenant, dry_run=True),
        metadata=OPERATOR,
    )
    assert (dry.matched, dry.replayed, dry.dry_run) == (1, 0, True)

    async with tapping(kafka_bootstrap, [world.topic]) as source:
        first = await ops.ReplayDeadLetters(
            admin_pb2.ReplayDeadLettersRequest(topic=world.topic, tenant_id=tenant),
            metadata=OPERATOR,
        )
        assert first.dead_letter_topic == dlq_topic(world.topic)
        assert (first.matched, first.replayed, first.remaining) == (1, 1, 0)
        assert first.read >= 1  # other tenants' dead letters are read and passed over
        (replayed,) = await source.wait_for(world.event_type, tenant=tenant)
        # The same CloudEvent: consumers recognise it by its id.
        assert str(replayed.envelope.id) == event_id
        assert replayed.key == "c-1"
    await wait_for_counter(runtime, tenant, "c-1", 5)

    again = await ops.ReplayDeadLetters(
        admin_pb2.ReplayDeadLettersRequest(topic=world.topic, tenant_id=tenant),
        metadata=OPERATOR,
    )
    assert (again.replayed, again.matched) == (0, 0)
    assert again.replayer_group == first.replayer_group

    # Another filter has its own progress and sends the record again: absorbed.
    other_filter = await ops.ReplayDeadLetters(
        admin_pb2.ReplayDeadLettersRequest(
            topic=world.topic, tenant_id=tenant, event_types=[world.event_type]
        ),
        metadata=OPERATOR,
    )
    assert other_filter.replayed == 1
    assert other_filter.replayer_group != first.replayer_group
    await publish_events(kafka_bootstrap, [world.event("c-1", tenant=tenant, amount=1)])
    await wait_for_counter(runtime, tenant, "c-1", 6)
    assert await counter(runtime, tenant, "c-1") == 6


async def test_tenant_admin_replays_only_their_own_tenant(
    runtime: ServiceRuntime,
    ops: OperationsServiceAsyncStub,
    world: CounterWorld,
    outage: Outage,
    kafka_bootstrap: str,
    unique: str,
) -> None:
    tenant = f"t-{unique}"
    await dead_letter_one(runtime, world, outage, kafka_bootstrap, tenant)
    admin = caller(["admin"], tenant=tenant)

    error = await rpc_error(
        ops.ReplayDeadLetters(
            admin_pb2.ReplayDeadLettersRequest(topic=world.topic, tenant_id="someone-else"),
            metadata=admin,
        )
    )
    assert_status(error, grpc.StatusCode.PERMISSION_DENIED)

    # The DLQ headers (here the group that failed) can be filtered on.
    for failed_group, matched in ((runtime.settings.group_id, 1), ("agora-someone-else", 0)):
        dry = await ops.ReplayDeadLetters(
            admin_pb2.ReplayDeadLettersRequest(
                topic=world.topic, failed_group=failed_group, dry_run=True
            ),
            metadata=admin,
        )
        assert dry.matched == matched, failed_group

    report = await ops.ReplayDeadLetters(
        admin_pb2.ReplayDeadLettersRequest(topic=world.topic), metadata=admin
    )
    assert report.replayed == 1  # theirs only, though the DLQ holds other tenants' too
    await wait_for_counter(runtime, tenant, "c-1", 5)


async def test_rewind_rereads_events_from_a_time_without_doubling_effects(
    runtime: ServiceRuntime,
    ops: OperationsServiceAsyncStub,
    world: CounterWorld,
    kafka_bootstrap: str,
    unique: str,
) -> None:
    tenant = f"t-{unique}"
    before = datetime.now(UTC) - timedelta(seconds=1)
    await publish_events(
        kafka_bootstrap, [world.event("c-2", tenant=tenant, amount=n) for n in (1, 2, 3)]
    )
    await wait_for_counter(runtime, tenant, "c-2", 6)
    duplicates_before = consumed(runtime, world, "duplicate")

    response = await ops.RewindConsumer(
        admin_pb2.RewindConsumerRequest(topic=world.topic, at=stamp(before)), metadata=OPERATOR
    )
    assert response.group_id == runtime.settings.group_id
    assert response.service == runtime.service
    assert len(response.partitions) == 3
    assert list(response.not_assigned_partitions) == []
    assert all(p.offset <= p.previous_offset for p in response.partitions)
    assert any(p.offset < p.previous_offset for p in response.partitions)

    # The three events are read again, recognised and skipped; a new one still counts.
    async def reread() -> bool:
        return consumed(runtime, world, "duplicate") >= duplicates_before + 3

    await eventually(reread, timeout=60)
    await publish_events(kafka_bootstrap, [world.event("c-2", tenant=tenant, amount=10)])
    await wait_for_counter(runtime, tenant, "c-2", 16)


async def test_operations_need_the_admin_role(
    ops: OperationsServiceAsyncStub, world: CounterWorld, unique: str
) -> None:
    learner = caller(["learner", "manager"], tenant=OPERATOR_TENANT)
    error = await rpc_error(
        ops.ReplayDeadLetters(
            admin_pb2.ReplayDeadLettersRequest(topic=world.topic), metadata=learner
        )
    )
    assert_status(error, grpc.StatusCode.PERMISSION_DENIED)
    error = await rpc_error(
        ops.RewindConsumer(
            admin_pb2.RewindConsumerRequest(topic=world.topic, at=stamp(datetime.now(UTC))),
            metadata=learner,
        )
    )
    assert_status(error, grpc.StatusCode.PERMISSION_DENIED)
    error = await rpc_error(
        ops.ReplayDeadLetters(admin_pb2.ReplayDeadLettersRequest(topic=world.topic))
    )
    assert_status(error, grpc.StatusCode.UNAUTHENTICATED)


async def test_rewind_is_for_operators_only(
    ops: OperationsServiceAsyncStub, world: CounterWorld, unique: str
) -> None:
    tenant_admin = caller(["admin"], tenant=f"t-{unique}")
    error = await rpc_error(
        ops.RewindConsumer(
            admin_pb2.RewindConsumerRequest(topic=world.topic, at=stamp(datetime.now(UTC))),
            metadata=tenant_admin,
        )
    )
    assert_status(error, grpc.StatusCode.PERMISSION_DENIED)


@pytest.mark.parametrize(
    ("topic", "field"),
    [
        ("", "topic"),
        ("agora.nobody.things.v1", "topic"),
        ("{topic}.dlq", "topic"),
    ],
)
async def test_replay_names_a_bad_topic(
    ops: OperationsServiceAsyncStub, world: CounterWorld, topic: str, field: str
) -> None:
    error = await rpc_error(
        ops.ReplayDeadLetters(
            admin_pb2.ReplayDeadLettersRequest(topic=topic.format(topic=world.topic)),
            metadata=OPERATOR,
        )
    )
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field=field)


async def test_replay_names_bad_filters(
    ops: OperationsServiceAsyncStub, world: CounterWorld
) -> None:
    now = datetime.now(UTC)
    error = await rpc_error(
        ops.ReplayDeadLetters(
            admin_pb2.ReplayDeadLettersRequest(
                topic=world.topic,
                event_types=["org.agora.other.thing.done.v1"],
                dead_lettered_after=stamp(now),
                dead_lettered_before=stamp(now - timedelta(hours=1)),
                max_records=-1,
                failed_group="g" * 300,
            ),
            metadata=OPERATOR,
        )
    )
    for field in ("event_types", "dead_lettered_before", "max_records", "failed_group"):
        assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field=field)


@pytest.mark.parametrize(
    "at",
    [
        None,
        Timestamp(seconds=int((datetime.now(UTC) + timedelta(days=1)).timestamp())),
        Timestamp(seconds=10**13),
    ],
    ids=["missing", "future", "out-of-range"],
)
async def test_rewind_names_a_bad_timestamp(
    ops: OperationsServiceAsyncStub, world: CounterWorld, at: Timestamp | None
) -> None:
    request = admin_pb2.RewindConsumerRequest(topic=world.topic)
    if at is not None:
        request.at.CopyFrom(at)
    error = await rpc_error(ops.RewindConsumer(request, metadata=OPERATOR))
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="at")


async def test_rewind_names_a_topic_the_service_does_not_consume(
    ops: OperationsServiceAsyncStub,
) -> None:
    error = await rpc_error(
        ops.RewindConsumer(
            admin_pb2.RewindConsumerRequest(
                topic="agora.elsewhere.things.v1", at=stamp(datetime.now(UTC))
            ),
            metadata=OPERATOR,
        )
    )
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="topic")


async def test_an_idle_group_is_rewound_by_committing_and_a_live_one_refuses(
    runtime: ServiceRuntime, world: CounterWorld, kafka_bootstrap: str, unique: str
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    await publish_events(
        kafka_bootstrap, [world.event("c-3", tenant=f"t-{unique}", amount=n) for n in (1, 2)]
    )
    idle = f"agora-idle-{unique}"
    await start_group_at_end(kafka_bootstrap, idle, [world.topic])

    rewound = await rewind_idle_group(kafka_bootstrap, idle, world.topic, before)
    assert rewound.group_id == idle
    assert len(rewound.partitions) == 3
    assert sum(p.previous_offset - p.offset for p in rewound.partitions) >= 2
    reader = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=idle)
    await reader.start()
    try:
        for moved in rewound.partitions:
            tp = TopicPartition(world.topic, moved.partition)
            assert await reader.committed(tp) == moved.offset
    finally:
        await reader.stop()

    # The running service's group has a live member: only it may move its offsets.
    with pytest.raises(GroupHasMembers):
        await rewind_idle_group(kafka_bootstrap, runtime.settings.group_id, world.topic, before)
