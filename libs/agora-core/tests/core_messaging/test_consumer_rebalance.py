"""Rebalances: a commit refused because a partition moved away, and offsets committed
while members join and leave."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from core_postgres.world import bump, count_rows, counter_value, start_batch_consumer

from agora_core.messaging.events import ReceivedEvent
from agora_core.messaging.partitions import topic_partitions
from agora_core.postgres import Database, UnitOfWork
from agora_core.testing import eventually

from .harness import CONSUMED, EventWorld, sample

pytestmark = pytest.mark.integration


async def test_commit_refused_by_a_rebalance_leads_to_redelivery_absorbed_by_the_marks(
    kafka_bootstrap: str, counters_db: Database, unique: str, create_topic: Any
) -> None:
    """The first member is mid-batch (its transaction open, the event's processed mark
    written) when the partition moves to a second member, which gets the record again.
    The second member's mark waits for the first transaction; once that commits, the
    record is a duplicate there: one effect, and the first member's offset commit is
    refused (the partition is no longer its own)."""
    world = EventWorld(unique)
    await create_topic(world.topic, partitions=1)
    first_started = asyncio.Event()
    release_first = asyncio.Event()
    handled_by: list[str] = []

    async def slow_first(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
        handled_by.append("first")
        first_started.set()
        await release_first.wait()  # the partition moves to the second member meanwhile
        await bump(event, uow)

    async def second(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
        handled_by.append("second")
        await bump(event, uow)

    # Round-robin assignment sorts members by id (client id first): "a-…" sorts before
    # "z-…", so when the second member joins, the only partition moves to it.
    first = await start_batch_consumer(
        world,
        kafka_bootstrap,
        counters_db,
        {world.event_type: slow_first},
        client_id=f"z-{unique}",
    )
    refused = {"service": "tests", "topic": world.topic}
    refused_before = sample("agora_consumer_commit_failures_total", **refused)
    duplicates = {
        "service": "tests",
        "topic": world.topic,
        "type": world.event_type,
        "outcome": "duplicate",
    }
    duplicates_before = sample(CONSUMED, **duplicates)
    second_member = None
    try:
        event = world.event("c-7", amount=6)
        await first.publisher.publish(event)
        await asyncio.wait_for(first_started.wait(), timeout=30)

        second_member = await start_batch_consumer(
            world,
            kafka_bootstrap,
            counters_db,
            {world.event_type: second},
            client_id=f"a-{unique}",
        )
        assert second_member.consumer.assignment == {TopicPartition(world.topic, 0)}
        release_first.set()

        async def absorbed_and_refused() -> bool:
            return bool(
                sample(CONSUMED, **duplicates) == duplicates_before + 1
                and sample("agora_consumer_commit_failures_total", **refused) == refused_before + 1
            )

        await eventually(absorbed_and_refused, timeout=60)
        assert await counter_value(counters_db, "c-7") == 6
        assert await count_rows(counters_db, "processed_events") == 1
        assert await count_rows(counters_db, "outbox") == 1
        assert handled_by == ["first"]
    finally:
        release_first.set()
        if second_member is not None:
            await second_member.stop()
        await first.stop()


async def _committed_everything(kafka: str, group: str, topic: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        partitions = await topic_partitions([topic], bootstrap_servers=kafka)
        ends = await consumer.end_offsets(partitions)
        committed = await admin.list_consumer_group_offsets(group)
        # A partition no record went to has nothing to commit (end offset 0).
        return all(
            (committed[tp].offset if tp in committed else 0) >= end for tp, end in ends.items()
        )
    finally:
        await consumer.stop()
        await admin.close()


async def test_offsets_keep_being_committed_through_members_joining_and_leaving(
    kafka_bootstrap: str, counters_db: Database, unique: str, create_topic: Any
) -> None:
    """Found by tests/faults (a replica added then removed under load): a rebalance that
    took a partition away while its commit was in flight made the lag gauge's
    ``highwater()`` assert; the periodic commit task died silently and the member never
    committed again, so everything it handled afterwards was left uncommitted."""
    world = EventWorld(unique)
    await create_topic(world.topic, partitions=6)
    counters = [f"c-{n}" for n in range(12)]
    first = await start_batch_consumer(world, kafka_bootstrap, counters_db)
    published = 0

    async def publish_steadily() -> None:
        nonlocal published
        for _ in range(40):
            await first.publisher.publish_many([world.event(c) for c in counters])
            published += len(counters)
            await asyncio.sleep(0.05)

    try:
        flow = asyncio.create_task(publish_steadily())
        # Three members join and leave in turn while records flow and commits tick.
        for n in range(3):
            member = await start_batch_consumer(
                world, kafka_bootstrap, counters_db, client_id=f"m{n}"
            )
            await member.stop()
        await flow

        async def all_applied() -> bool:
            values = [await counter_value(counters_db, c) for c in counters]
            return sum(values) == published

        await eventually(all_applied, timeout=120)

        async def all_committed() -> bool:
            return await _committed_everything(kafka_bootstrap, world.group, world.topic)

        await eventually(all_committed, timeout=60)
    finally:
        await first.stop()
