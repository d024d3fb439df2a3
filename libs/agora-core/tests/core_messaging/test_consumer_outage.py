"""A database outage seen by a handler is waited out, never dead-lettered (real Kafka,
FerretDB, and the driver's own connection errors from a port nobody serves)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from agora_core.messaging.consumer import dlq_topic
from agora_core.messaging.events import ReceivedEvent
from agora_core.messaging.partitions import topic_partitions
from agora_core.storage import Document
from agora_core.testing import eventually

from .harness import EventWorld, bump_counter, counter_value, ensure_counter, start_consumer

pytestmark = pytest.mark.integration


async def _records_on(kafka: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await topic_partitions(consumer, [topic])
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()


async def test_an_outage_inside_a_task_group_is_retried_until_it_ends_never_dead_lettered(
    kafka_bootstrap: str, database: AsyncDatabase[Document], unique: str, create_topic: Any
) -> None:
    """Found by tests/faults (FerretDB stopped under load): gamification's handlers run
    database calls in an ``asyncio.TaskGroup``, so the outage arrived as an
    ExceptionGroup of AutoReconnect, classified transient: after ``max_attempts`` a good
    event would be dead-lettered. And outage attempts counted towards that bound, so one
    transient failure right after an outage dead-lettered the event at once."""
    world = EventWorld(unique)
    await create_topic(world.topic)
    await create_topic(dlq_topic(world.topic))
    # Bound but never listening: every connection is refused, as by a stopped server,
    # and no other process can take the port meanwhile.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        down: AsyncMongoClient[Document] = AsyncMongoClient(
            f"mongodb://127.0.0.1:{port}/", serverSelectionTimeoutMS=100, connectTimeoutMS=100
        )
        outage_attempts = 5  # more than max_attempts (3)
        attempts = 0

        async def handler(event: ReceivedEvent[Any]) -> None:
            nonlocal attempts
            attempts += 1
            if attempts <= outage_attempts:
                async with asyncio.TaskGroup() as group:
                    for collection in ("counters", "ledger"):
                        group.create_task(down["outage"][collection].find_one({}))
            if attempts == outage_attempts + 1:
                raise RuntimeError("the first call after the outage fails too")
            await bump_counter(database, event)

        await ensure_counter(database, "c-1")
        running = await start_consumer(
            world, kafka_bootstrap, database, {world.event_type: handler}, max_attempts=3
        )
        try:
            await running.publisher.publish(world.event("c-1", amount=4))

            async def applied() -> bool:
                return await counter_value(database, "c-1") == 4

            await eventually(applied)
            assert attempts == outage_attempts + 2
            # The DLQ copy would have been published before the counter moved.
            assert await _records_on(kafka_bootstrap, dlq_topic(world.topic)) == 0
        finally:
            await running.stop()
            await down.close()
