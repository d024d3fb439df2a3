"""The consumer phase of ``bench/community.py``: like events published to the likes
topic, until the service's consumer group has committed past them (each poll commits
after its transaction: marks, popularity, popularity.changed rows), every one then
checked marked; beside raw aiokafka consumption of the same records."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from agora_contracts.events.domains.community import LIKES_TOPIC, LikeAddedV1
from agora_core.messaging.events import OutgoingEvent
from agora_core.postgres import Database
from agora_core.testing import eventually
from bench.seeds.community import TENANT


async def count(database: Database, query: str, params: tuple[Any, ...]) -> int:
    async with database.unit_of_work(TENANT) as uow:
        cursor = await uow.connection.execute(query, params)
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def settled(database: Database) -> None:
    """Until the outbox is empty and the consumer has had time to catch up with it."""

    async def empty() -> bool:
        return await count(database, "SELECT count(*) FROM outbox", ()) == 0

    await eventually(empty, timeout=600, interval=0.5)
    await asyncio.sleep(3)


def like_events(events: int, items: int) -> list[OutgoingEvent]:
    return [
        OutgoingEvent.create(
            LikeAddedV1(
                like_id=str(uuid.uuid4()),
                target_type="knowledge",
                target_id=f"k-{i % items}",
                liker_id=f"u-fan-{i}",
                target_owner_id="u-author",
                liked_at=datetime.now(UTC),
            ),
            source="/agora/community",
            subject=f"k-{i % items}",
            tenant_id=TENANT,
            actor_id=f"u-fan-{i}",
        )
        for i in range(events)
    ]


async def consumers(kafka: str, database: Database, group: str, events: int, items: int) -> Any:
    await settled(database)
    batch = like_events(events, items)
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all", linger_ms=5)
    await producer.start()
    partitions = sorted(await producer.partitions_for(LIKES_TOPIC))
    since = await _end_offsets(kafka, partitions)
    began = time.perf_counter()
    try:
        sent = [
            await producer.send(
                e.topic,
                e.value,
                key=e.key.encode(),
                headers=[(k, v.encode()) for k, v in e.headers.items()],
            )
            for e in batch
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    # Done when the group's committed offsets reach the end: the consumer commits a
    # poll's offsets after its transaction (marks, popularity, outbox rows). Polling
    # the broker, not the database, keeps the measurement off the measured database.
    ends = await _end_offsets(kafka, partitions)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:

        async def committed() -> bool:
            offsets = await admin.list_consumer_group_offsets(group)
            return all(
                (done := offsets.get(TopicPartition(LIKES_TOPIC, p))) is not None
                and done.offset >= end
                for p, end in ends.items()
            )

        await eventually(committed, timeout=1800, interval=0.2)
    finally:
        await admin.close()
    service_s = time.perf_counter() - began
    raw_s = await _raw_consume(kafka, partitions, since, events)
    marks = (
        "SELECT count(*) FROM processed_events WHERE group_id = %s AND event_id = ANY(%s::uuid[])"
    )
    ids = [e.event_id for e in batch]
    assert await count(database, marks, (group, ids)) == events, "every event marked handled"
    return {
        "events": events,
        "service_per_s": round(events / service_s, 1),
        "raw_consume_per_s": round(events / raw_s, 1),
    }


async def _end_offsets(kafka: str, partitions: list[int]) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await consumer.end_offsets([TopicPartition(LIKES_TOPIC, p) for p in partitions])
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        await consumer.stop()


async def _raw_consume(
    kafka: str, partitions: list[int], since: dict[int, int], events: int
) -> float:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        assigned = [TopicPartition(LIKES_TOPIC, p) for p in partitions]
        consumer.assign(assigned)
        for tp in assigned:
            consumer.seek(tp, since[tp.partition])
        began = time.perf_counter()
        seen = 0
        while seen < events:
            got = await consumer.getmany(timeout_ms=1000, max_records=500)
            seen += sum(len(records) for records in got.values())
        return time.perf_counter() - began
    finally:
        await consumer.stop()
