"""The dead-letter replay as a long-running operation (AIP-151), end to end.

Two replicas of the counter service share one database and the broker: operations
started on one are read, listed and cancelled on the other. DLQ records are written
straight onto ``<topic>.dlq`` (thousands, in one pipelined batch), as dead-lettering
would leave them; after the replay the counter proves each applied exactly once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import grpc
import pytest

from agora.admin.v1 import admin_pb2
from agora.admin.v1.admin_pb2_grpc import OperationsServiceStub
from agora_core.long_running.model import ABORTED, CANCELLED, ReplayOperation
from agora_core.long_running.runner import OperationRunner
from agora_core.messaging.dead_letters import dlq_topic
from agora_core.messaging.publisher import RawRecord
from agora_core.messaging.replay import (
    DeadLetterFilter,
    DeadLetterReplay,
    ProgressListener,
    ReplayProgress,
    replay_dead_letters,
)
from agora_core.postgres.operations_table import PostgresOperations
from agora_core.runtime import ServiceRuntime
from agora_core.testing import eventually
from agora_core.testing.event_tap import ensure_topics
from agora_core.testing.grpc_assertions import Metadata, assert_status, caller, rpc_error
from agora_core.testing.postgres import (
    assert_index_serves,
    create_test_database,
    drop_test_database,
    query_plan,
)
from agora_core.testing.service_harness import channel_to, running_service, test_settings

from .counter_service import CounterSettings, CounterWorld, Outage, builder, counter_value

if TYPE_CHECKING:
    from agora.admin.v1.admin_pb2_grpc import OperationsServiceAsyncStub

pytestmark = pytest.mark.integration

OPERATOR_TENANT = "ops"
OPERATOR = caller(["admin"], tenant=OPERATOR_TENANT, subject="operator-1")
RECORDS = 3000
OTHER_TENANT_RECORDS = 200


@pytest.fixture(scope="module")
def world() -> CounterWorld:
    return CounterWorld(uuid.uuid4().hex[:10])


@pytest.fixture(scope="module")
async def replicas(
    kafka_bootstrap: str, postgres_admin_dsn: str, world: CounterWorld
) -> AsyncIterator[tuple[ServiceRuntime, ServiceRuntime]]:
    await ensure_topics(kafka_bootstrap, [world.topic, dlq_topic(world.topic)])
    name, dsn = await create_test_database(postgres_admin_dsn, prefix="lro")
    settings = test_settings(
        CounterSettings,
        kafka=kafka_bootstrap,
        postgres_dsn=dsn,
        operator_tenant=OPERATOR_TENANT,
        operation_progress_seconds=0.05,
    )
    try:
        async with (
            running_service(builder(world, Outage()), settings) as first,
            running_service(builder(world, Outage()), settings) as second,
        ):
            yield first, second
    finally:
        await drop_test_database(postgres_admin_dsn, name)


@pytest.fixture(scope="module")
async def stubs(
    replicas: tuple[ServiceRuntime, ServiceRuntime],
) -> AsyncIterator[tuple[OperationsServiceAsyncStub, OperationsServiceAsyncStub]]:
    async with channel_to(replicas[0]) as first, channel_to(replicas[1]) as second:
        yield OperationsServiceStub(first), OperationsServiceStub(second)


async def dead_letter(
    runtime: ServiceRuntime, world: CounterWorld, tenant: str, count: int, counter_id: str
) -> None:
    """Put ``count`` bumps of ``counter_id`` (1 each) on the DLQ, as dead-lettered."""
    records = [
        RawRecord(event.key.encode(), event.value, {**event.headers, "agora-dlq-reason": "test"})
        for event in (world.event(counter_id, tenant=tenant) for _ in range(count))
    ]
    await runtime.publisher.publish_raw_many(dlq_topic(world.topic), records)


def metadata_of(operation: admin_pb2.Operation) -> admin_pb2.ReplayDeadLettersMetadata:
    metadata = admin_pb2.ReplayDeadLettersMetadata()
    assert operation.metadata.Unpack(metadata)
    return metadata


async def until_done(
    stub: OperationsServiceAsyncStub, name: str, metadata: Metadata, seen: list[int] | None = None
) -> admin_pb2.Operation:
    """Poll GetOperation until done, keeping each ``read`` seen."""
    for _ in range(1200):
        operation = await stub.GetOperation(
            admin_pb2.GetOperationRequest(name=name), metadata=metadata
        )
        if seen is not None:
            seen.append(metadata_of(operation).read)
        if operation.done:
            return operation
        await asyncio.sleep(0.05)
    pytest.fail(f"{name} still running after a minute")


async def test_a_replay_operation_reports_progress_and_ends_with_the_counts(
    replicas: tuple[ServiceRuntime, ServiceRuntime],
    stubs: tuple[OperationsServiceAsyncStub, OperationsServiceAsyncStub],
    world: CounterWorld,
    unique: str,
) -> None:
    first, _ = replicas
    tenant = f"t-{unique}"
    await dead_letter(first, world, tenant, RECORDS, "c-lro")
    await dead_letter(first, world, f"other-{unique}", OTHER_TENANT_RECORDS, "c-lro")
    admin = caller(["admin"], tenant=tenant)

    started = await stubs[0].StartDeadLetterReplay(
        admin_pb2.StartDeadLetterReplayRequest(topic=world.topic), metadata=admin
    )
    assert started.name.startswith("operations/")
    assert not started.done
    assert metadata_of(started).dead_letter_topic == dlq_topic(world.topic)

    # The other replica answers from the shared database.
    seen: list[int] = []
    done = await until_done(stubs[1], started.name, admin, seen)
    assert seen == sorted(seen), f"progress went back: {seen}"
    assert done.WhichOneof("result") == "response"
    result = admin_pb2.ReplayDeadLettersResponse()
    assert done.response.Unpack(result)
    total = RECORDS + OTHER_TENANT_RECORDS
    assert (result.read, result.matched, result.replayed) == (total, RECORDS, RECORDS)
    assert (result.filtered_out, result.remaining) == (OTHER_TENANT_RECORDS, 0)
    final = metadata_of(done)
    assert (final.read, final.replayed, final.total) == (total, RECORDS, total)
    assert final.HasField("end_time")
    assert final.end_time.ToDatetime() >= final.create_time.ToDatetime()

    async def applied_once() -> bool:
        return await counter_value(first.require_postgres(), tenant, "c-lro") == RECORDS

    await eventually(applied_once, timeout=60)

    listed = await stubs[1].ListOperations(
        admin_pb2.ListOperationsRequest(filter="done=true"), metadata=admin
    )
    assert [op.name for op in listed.operations] == [started.name]
    running = await stubs[1].ListOperations(
        admin_pb2.ListOperationsRequest(filter="done = false"), metadata=admin
    )
    assert list(running.operations) == []
    await asyncio.sleep(0.5)  # a late duplicate would show now
    assert await counter_value(first.require_postgres(), tenant, "c-lro") == RECORDS


async def test_the_replay_reports_progress_batch_by_batch(
    replicas: tuple[ServiceRuntime, ServiceRuntime], world: CounterWorld, unique: str
) -> None:
    first, _ = replicas
    tenant = f"t-{unique}"
    await dead_letter(first, world, tenant, 1200, "c-steps")
    heard: list[ReplayProgress] = []
    # A dry run with a filter of its own: reads the whole DLQ, commits nothing.
    report = await replay_dead_letters(
        first.settings.kafka_bootstrap_servers,
        first.publisher,
        world.topic,
        dead_letter_filter=DeadLetterFilter(tenant_id=tenant),
        dry_run=True,
        batch_size=300,
        on_progress=heard.append,
    )
    assert heard[0].read == 0
    assert heard[0].total == report.read
    reads = [p.read for p in heard]
    assert reads == sorted(reads), reads
    assert len(set(reads)) >= 4, reads
    assert heard[-1] == ReplayProgress(report.read, report.matched, 0, report.read)
    assert report.matched == 1200


async def test_cancel_on_one_replica_stops_the_work_on_the_other(
    replicas: tuple[ServiceRuntime, ServiceRuntime],
    stubs: tuple[OperationsServiceAsyncStub, OperationsServiceAsyncStub],
    world: CounterWorld,
) -> None:
    first, _ = replicas
    stopped = asyncio.Event()

    async def endless(listener: ProgressListener) -> DeadLetterReplay:
        listener(ReplayProgress(read=7, matched=5, replayed=5, total=100))
        try:
            await asyncio.Event().wait()
        finally:
            stopped.set()
        raise AssertionError("unreachable")

    started = await first.operation_runner.start(operation(OPERATOR_TENANT, world), endless)

    async def progress_written() -> bool:
        got = await stubs[1].GetOperation(
            admin_pb2.GetOperationRequest(name=started.name), metadata=OPERATOR
        )
        return metadata_of(got).read == 7

    await eventually(progress_written, timeout=10)
    await stubs[1].CancelOperation(
        admin_pb2.CancelOperationRequest(name=started.name), metadata=OPERATOR
    )
    done = await until_done(stubs[1], started.name, OPERATOR)
    assert done.error.code == CANCELLED
    assert metadata_of(done).cancel_requested
    assert (metadata_of(done).read, metadata_of(done).replayed) == (7, 5)
    assert stopped.is_set()
    # Cancelling what is done changes nothing.
    await stubs[0].CancelOperation(
        admin_pb2.CancelOperationRequest(name=started.name), metadata=OPERATOR
    )
    again = await stubs[0].GetOperation(
        admin_pb2.GetOperationRequest(name=started.name), metadata=OPERATOR
    )
    assert again.error.code == CANCELLED


async def test_an_operation_whose_runner_died_does_not_stay_running(
    replicas: tuple[ServiceRuntime, ServiceRuntime],
    stubs: tuple[OperationsServiceAsyncStub, OperationsServiceAsyncStub],
    world: CounterWorld,
) -> None:
    store = PostgresOperations(replicas[0].require_postgres())
    # A replica that stored its operation then died: nobody renews the lease.
    dead = await store.create(operation(OPERATOR_TENANT, world), runner="gone", lease_seconds=1)
    running = await stubs[1].GetOperation(
        admin_pb2.GetOperationRequest(name=dead.name), metadata=OPERATOR
    )
    assert not running.done
    done = await until_done(stubs[1], dead.name, OPERATOR)
    assert done.error.code == ABORTED
    assert "start the same replay again" in done.error.message


async def test_a_runner_that_lost_its_lease_stops_the_work(
    replicas: tuple[ServiceRuntime, ServiceRuntime], world: CounterWorld
) -> None:
    database = replicas[0].require_postgres()
    runner = OperationRunner(PostgresOperations(database), lease_seconds=30, progress_seconds=0.05)
    stopped = asyncio.Event()

    async def endless(listener: ProgressListener) -> DeadLetterReplay:
        try:
            await asyncio.Event().wait()
        finally:
            stopped.set()
        raise AssertionError("unreachable")

    started = await runner.start(operation(OPERATOR_TENANT, world), endless)
    # As if its lease had lapsed and a read had ended it meanwhile (a long database outage).
    async with database.unit_of_work(OPERATOR_TENANT) as uow:
        await uow.connection.execute(
            "UPDATE operations SET lease_until = now() - interval '1 second'"
            " WHERE tenant_id = %s AND operation_id = %s",
            (OPERATOR_TENANT, started.operation_id),
        )
    await asyncio.wait_for(stopped.wait(), timeout=10)
    ended = await PostgresOperations(database).get(OPERATOR_TENANT, started.operation_id)
    assert ended is not None
    assert ended.failure is not None
    assert ended.failure.code == ABORTED


async def test_a_replica_that_stops_ends_its_operations_as_aborted(
    replicas: tuple[ServiceRuntime, ServiceRuntime],
    stubs: tuple[OperationsServiceAsyncStub, OperationsServiceAsyncStub],
    world: CounterWorld,
) -> None:
    runner = OperationRunner(
        PostgresOperations(replicas[0].require_postgres()), lease_seconds=30, progress_seconds=0.05
    )

    async def endless(listener: ProgressListener) -> DeadLetterReplay:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    started = await runner.start(operation(OPERATOR_TENANT, world), endless)
    await runner.stop()
    got = await stubs[0].GetOperation(
        admin_pb2.GetOperationRequest(name=started.name), metadata=OPERATOR
    )
    assert got.done
    assert got.error.code == ABORTED
    assert "shut down" in got.error.message


async def test_operations_are_seen_by_their_tenant_only(
    stubs: tuple[OperationsServiceAsyncStub, OperationsServiceAsyncStub],
    world: CounterWorld,
    unique: str,
) -> None:
    mine = caller(["admin"], tenant=f"a-{unique}")
    theirs = caller(["admin"], tenant=f"b-{unique}")
    started = await stubs[0].StartDeadLetterReplay(
        admin_pb2.StartDeadLetterReplayRequest(topic=world.topic, dry_run=True), metadata=mine
    )
    await until_done(stubs[0], started.name, mine)
    for call in (
        stubs[1].GetOperation(admin_pb2.GetOperationRequest(name=started.name), metadata=theirs),
        stubs[1].CancelOperation(
            admin_pb2.CancelOperationRequest(name=started.name), metadata=theirs
        ),
    ):
        assert_status(await rpc_error(call), grpc.StatusCode.NOT_FOUND)
    listed = await stubs[1].ListOperations(admin_pb2.ListOperationsRequest(), metadata=theirs)
    assert list(listed.operations) == []
    denied = await rpc_error(
        stubs[0].StartDeadLetterReplay(
            admin_pb2.StartDeadLetterReplayRequest(topic=world.topic, tenant_id=f"a-{unique}"),
            metadata=theirs,
        )
    )
    assert_status(denied, grpc.StatusCode.PERMISSION_DENIED)
    learner = caller(["learner"], tenant=f"a-{unique}")
    refused = await rpc_error(
        stubs[0].GetOperation(admin_pb2.GetOperationRequest(name=started.name), metadata=learner)
    )
    assert_status(refused, grpc.StatusCode.PERMISSION_DENIED)


async def test_bad_input_is_invalid_argument_with_the_field(
    stubs: tuple[OperationsServiceAsyncStub, OperationsServiceAsyncStub], world: CounterWorld
) -> None:
    ops = stubs[0]
    cases: list[tuple[Awaitable[Any], str]] = [
        (
            ops.StartDeadLetterReplay(
                admin_pb2.StartDeadLetterReplayRequest(topic=dlq_topic(world.topic)),
                metadata=OPERATOR,
            ),
            "topic",
        ),
        (
            ops.StartDeadLetterReplay(
                admin_pb2.StartDeadLetterReplayRequest(topic=world.topic, max_records=100_001),
                metadata=OPERATOR,
            ),
            "max_records",
        ),
        (ops.GetOperation(admin_pb2.GetOperationRequest(name="x/1"), metadata=OPERATOR), "name"),
        (
            ops.ListOperations(
                admin_pb2.ListOperationsRequest(filter="state=1"), metadata=OPERATOR
            ),
            "filter",
        ),
        (
            ops.ListOperations(
                admin_pb2.ListOperationsRequest(page_token="nope"), metadata=OPERATOR
            ),
            "page_token",
        ),
    ]
    for call, field in cases:
        assert_status(await rpc_error(call), grpc.StatusCode.INVALID_ARGUMENT, field)
    missing = await rpc_error(
        ops.GetOperation(admin_pb2.GetOperationRequest(name="operations/abc"), metadata=OPERATOR)
    )
    assert_status(missing, grpc.StatusCode.NOT_FOUND)


async def test_operations_list_in_pages_served_by_their_indexes(
    replicas: tuple[ServiceRuntime, ServiceRuntime],
    stubs: tuple[OperationsServiceAsyncStub, OperationsServiceAsyncStub],
    world: CounterWorld,
    unique: str,
) -> None:
    tenant = f"p-{unique}"
    store = PostgresOperations(replicas[0].require_postgres())
    created = [
        await store.create(operation(tenant, world), runner="r", lease_seconds=60) for _ in range(5)
    ]
    admin = caller(["admin"], tenant=tenant)
    names: list[str] = []
    token = ""
    while True:
        page = await stubs[1].ListOperations(
            admin_pb2.ListOperationsRequest(page_size=2, page_token=token), metadata=admin
        )
        names.extend(op.name for op in page.operations)
        token = page.next_page_token
        if not token:
            break
    assert names == [op.name for op in reversed(created)]

    database = replicas[0].require_postgres()
    newest = (
        "SELECT operation_id FROM operations WHERE tenant_id = %s"
        " AND (create_time, operation_id) < (%s, %s)"
        " ORDER BY create_time DESC, operation_id DESC LIMIT 3"
    )
    params = (tenant, datetime.now(UTC), "z")
    plan = await query_plan(database, newest, params, tenant_id=tenant)
    assert_index_serves(plan, "operations_newest")
    for condition, index in (("NOT done", "operations_running"), ("done", "operations_done")):
        only = newest.replace("tenant_id = %s", f"tenant_id = %s AND {condition}")
        plan = await query_plan(database, only, params, tenant_id=tenant)
        assert_index_serves(plan, index)


def operation(tenant: str, world: CounterWorld) -> ReplayOperation:
    return ReplayOperation.new(
        tenant,
        topic=world.topic,
        dead_letter_topic=dlq_topic(world.topic),
        replayer_group="agora-ops.dlq-replay.test",
        dry_run=False,
    )
