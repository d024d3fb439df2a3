"""The batch consumer on the real broker and database: exactly-once effects under
duplicates, redelivery and a connection killed mid-batch; poison isolated to the DLQ.

Counters add (``value + amount``), so every exact total below would be off by the
amount of a duplicate (or a lost) event; one test shows it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
from aiokafka import TopicPartition
from core_messaging.harness import EventWorld, start_publisher

from agora_core.messaging.events import OutgoingEvent, ReceivedEvent
from agora_core.messaging.retry import PermanentError
from agora_core.postgres import Database, UnitOfWork
from agora_core.testing import eventually
from core_postgres.world import (
    bump,
    bump_all,
    count_rows,
    echo_with_id,
    start_batch_consumer,
    totals,
)

pytestmark = pytest.mark.integration


async def _topics(world: EventWorld, create_topic: Any) -> None:
    await create_topic(world.topic, 3)
    await create_topic(f"{world.topic}.dlq", 1)


def _stream(world: EventWorld, n: int) -> list[OutgoingEvent]:
    tenants = ("acme", "globex")
    return [world.event(f"c{i % 7}", amount=1 + i % 3, tenant=tenants[i % 2]) for i in range(n)]


def _expected(events: list[OutgoingEvent]) -> dict[str, dict[str, int]]:
    expected: dict[str, dict[str, int]] = {"acme": Counter(), "globex": Counter()}
    for event in events:
        data = json.loads(event.value)
        expected[event.headers["ce_tenantid"]][data["counter_id"]] += data["amount"]
    return {tenant: dict(values) for tenant, values in expected.items()}


async def _all_totals(database: Database) -> dict[str, dict[str, int]]:
    return {tenant: await totals(database, tenant) for tenant in ("acme", "globex")}


async def _all_marked(database: Database, count: int) -> None:
    """Until the consumer has marked ``count`` events processed."""

    async def marked() -> bool:
        return await count_rows(database, "processed_events") >= count

    await eventually(marked, timeout=60)


async def test_duplicates_poison_and_failures_leave_exact_effects(
    counters_db: Database, kafka_bootstrap: str, unique: str, create_topic: Any, read_topic: Any
) -> None:
    world = EventWorld(unique)
    await _topics(world, create_topic)
    good = _stream(world, 300)
    reject = world.event("reject", tenant="acme")
    flaky = world.event("flaky", amount=5, tenant="acme")
    clash = world.event("clash", tenant="globex")
    flaky_calls = 0
    # An event id already in the outbox: the batch's commit fails, not a handler.
    taken = str(uuid.uuid4())
    async with counters_db.unit_of_work() as uow:
        uow.add_events([echo_with_id(taken)])

    async def handler(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
        nonlocal flaky_calls
        if event.payload.counter_id == "reject":
            raise PermanentError("this counter is closed")
        if event.payload.counter_id == "flaky":
            flaky_calls += 1
            if flaky_calls == 1:
                raise RuntimeError("a passing failure")
        await bump(event, uow)
        if event.payload.counter_id == "clash":
            uow.add_events([echo_with_id(taken)])

    broker, publisher = await start_publisher(kafka_bootstrap, unique)
    poison = world.event("c1")
    try:
        # Each good event twice (a producer retry), the poison and the failures between.
        await publisher.publish_many([*good[:150], reject, flaky, clash, *good, *good[150:]])
        await publisher.publish_raw(
            world.topic, key=b"c1", value=b'{"counter_id": 7}', headers=poison.headers
        )
        running = await start_batch_consumer(
            world, kafka_bootstrap, counters_db, {world.event_type: handler}
        )
        try:
            handled = len(good) + 1  # the good ones and the flaky one, once each
            await _all_marked(counters_db, handled)
            dead = await read_topic(f"{world.topic}.dlq", 3)
        finally:
            await running.stop()
    finally:
        await broker.stop()

    expected = _expected(good)
    expected["acme"]["flaky"] = 5
    assert await _all_totals(counters_db) == expected
    assert await count_rows(counters_db, "processed_events") == handled
    # One echo per effect, besides the row that was there first.
    assert await count_rows(counters_db, "outbox") == handled + 1
    reasons = sorted(dict(r.headers)["agora-dlq-reason"].decode() for r in dead)
    assert reasons == ["handler-rejected", "invalid-payload", "retries-exhausted"]
    assert flaky_calls == 2


async def test_redelivery_changes_nothing_and_the_check_would_see_a_duplicate(
    counters_db: Database, kafka_bootstrap: str, unique: str, create_topic: Any
) -> None:
    world = EventWorld(unique)
    await _topics(world, create_topic)
    events = _stream(world, 200)
    broker, publisher = await start_publisher(kafka_bootstrap, unique)
    try:
        await publisher.publish_many(events)
    finally:
        await broker.stop()
    expected = _expected(events)

    async def consume_all_from_start() -> None:
        running = await start_batch_consumer(world, kafka_bootstrap, counters_db)
        try:
            partitions = {TopicPartition(world.topic, p) for p in range(3)}
            await running.consumer.seek_and_commit(dict.fromkeys(partitions, 0))
            kafka = running.consumer.kafka_consumer
            assert kafka is not None
            ends = await kafka.end_offsets(list(partitions))

            async def caught_up() -> bool:
                # Committed after the batch's transaction: everything handled.
                for tp, end in ends.items():
                    if (await kafka.committed(tp) or 0) < end:
                        return False
                return True

            await eventually(caught_up, timeout=60)
        finally:
            await running.stop()

    await consume_all_from_start()
    assert await _all_totals(counters_db) == expected
    # Every record again (an operator's rewind, a rebalance that lost commits).
    await consume_all_from_start()
    assert await _all_totals(counters_db) == expected
    assert await count_rows(counters_db, "outbox") == len(events)

    # Without the marks the same replay doubles every total: the exact check above
    # is what would have caught a duplicate effect.
    async with counters_db.pool.connection() as connection:
        await connection.execute("DELETE FROM processed_events")
    await consume_all_from_start()
    doubled = {t: {c: 2 * v for c, v in values.items()} for t, values in expected.items()}
    assert await _all_totals(counters_db) == doubled
    assert await count_rows(counters_db, "outbox") == 2 * len(events)


async def test_connection_killed_mid_batch_is_retried_with_effects_once(
    counters_db: Database, kafka_bootstrap: str, unique: str, create_topic: Any
) -> None:
    world = EventWorld(unique)
    await _topics(world, create_topic)
    events = _stream(world, 120)
    victim = events[60].event_id
    kills = 0

    async def handler(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
        nonlocal kills
        await bump(event, uow)
        if event.event_id == victim and kills == 0:
            kills += 1
            # The server ends this very connection, mid-transaction, after effects
            # of earlier events of the batch were written in it.
            await uow.connection.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    broker, publisher = await start_publisher(kafka_bootstrap, unique)
    try:
        await publisher.publish_many(events)
    finally:
        await broker.stop()
    running = await start_batch_consumer(
        world, kafka_bootstrap, counters_db, {world.event_type: handler}
    )
    try:
        await _all_marked(counters_db, len(events))
    finally:
        await running.stop()
    assert kills == 1
    assert await _all_totals(counters_db) == _expected(events)
    assert await count_rows(counters_db, "outbox") == len(events)


async def test_a_set_handler_takes_each_run_at_once_and_a_failure_is_narrowed_down(
    counters_db: Database, kafka_bootstrap: str, unique: str, create_topic: Any, read_topic: Any
) -> None:
    world = EventWorld(unique)
    await _topics(world, create_topic)
    good = _stream(world, 400)
    reject = world.event("reject", tenant="acme")
    flaky = world.event("flaky", amount=5, tenant="globex")
    runs: list[int] = []
    flaky_failed = False

    async def handler(events: Sequence[ReceivedEvent[Any]], uow: UnitOfWork) -> None:
        nonlocal flaky_failed
        runs.append(len(events))
        counters = {e.payload.counter_id for e in events}
        if "reject" in counters:
            raise PermanentError("this counter is closed")
        if "flaky" in counters and not flaky_failed:
            flaky_failed = True
            raise RuntimeError("a passing failure")
        await bump_all(events, uow)

    broker, publisher = await start_publisher(kafka_bootstrap, unique)
    try:
        await publisher.publish_many([*good[:200], reject, *good[:250], flaky, *good[200:]])
        running = await start_batch_consumer(
            world, kafka_bootstrap, counters_db, set_handlers={world.event_type: handler}
        )
        try:
            handled = len(good) + 1
            await _all_marked(counters_db, handled)
            dead = await read_topic(f"{world.topic}.dlq", 1)
        finally:
            await running.stop()
    finally:
        await broker.stop()

    expected = _expected(good)
    expected["globex"]["flaky"] = 5
    assert await _all_totals(counters_db) == expected
    assert await count_rows(counters_db, "outbox") == handled
    assert [dict(r.headers)["agora-dlq-reason"].decode() for r in dead] == ["handler-rejected"]
    # Runs, not events: far fewer calls than events, the two failures narrowed down by
    # halves (about log2 of the run per failure) to the one event each.
    assert len(runs) < 60, runs
    assert max(runs) > 50, runs


async def test_polls_of_other_partitions_run_while_one_waits_never_two_of_one(
    counters_db: Database, kafka_bootstrap: str, unique: str, create_topic: Any
) -> None:
    """Two batches in flight (the default): while the first poll's transaction waits,
    the next poll takes another partition, never the waiting one; effects stay exact."""
    world = EventWorld(unique)
    await _topics(world, create_topic)
    events = _stream(world, 300)  # seven counters (keys) over three partitions
    first: list[int] = []
    other_started = asyncio.Event()
    overlapped = False
    running_now: Counter[int] = Counter()
    same_partition_twice: list[int] = []

    async def handler(batch: Sequence[ReceivedEvent[Any]], uow: UnitOfWork) -> None:
        nonlocal overlapped
        partition = batch[0].partition
        if running_now[partition]:
            same_partition_twice.append(partition)
        running_now[partition] += 1
        try:
            if not first:
                first.append(partition)
                try:  # sequential polls would never start another batch meanwhile
                    await asyncio.wait_for(other_started.wait(), timeout=10)
                    overlapped = True
                except TimeoutError:
                    pass
            elif partition != first[0]:
                other_started.set()
            await bump_all(batch, uow)
        finally:
            running_now[partition] -= 1

    broker, publisher = await start_publisher(kafka_bootstrap, unique)
    try:
        await publisher.publish_many(events)
        running = await start_batch_consumer(
            world,
            kafka_bootstrap,
            counters_db,
            set_handlers={world.event_type: handler},
            max_records=20,  # a poll is part of one partition's records
        )
        try:
            await _all_marked(counters_db, len(events))
        finally:
            await running.stop()
    finally:
        await broker.stop()

    assert overlapped, "no batch of another partition ran while the first one waited"
    assert same_partition_twice == []
    assert await _all_totals(counters_db) == _expected(events)
    assert await count_rows(counters_db, "outbox") == len(events)
