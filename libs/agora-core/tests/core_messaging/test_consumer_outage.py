"""A database outage seen by a handler is waited out, never dead-lettered (real Kafka,
PostgreSQL, and the driver's own connection errors from a port nobody serves)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer
from core_postgres.world import bump, counter_value, start_batch_consumer

from agora_core.messaging.dead_letters import dlq_topic
from agora_core.messaging.events import ReceivedEvent
from agora_core.messaging.partitions import topic_partitions
from agora_core.postgres import Database, UnitOfWork
from agora_core.testing import eventually

from .harness import EventWorld

pytestmark = pytest.mark.integration


async def _records_on(kafka: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = await topic_partitions([topic], bootstrap_servers=kafka)
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()


async def test_an_outage_inside_a_task_group_is_retried_until_it_ends_never_dead_lettered(
    kafka_bootstrap: str, counters_db: Database, unique: str, create_topic: Any
) -> None:
    """Found by tests/faults (the database stopped under load): handlers that run
    database calls in an ``asyncio.TaskGroup`` see the outage as an ExceptionGroup of
    connection errors, once classified transient: after ``max_attempts`` a good event
    was dead-lettered. And outage attempts counted towards that bound, so one transient
    failure right after an outage dead-lettered the event at once."""
    world = EventWorld(unique)
    await create_topic(world.topic)
    await create_topic(dlq_topic(world.topic))
    # Bound but never listening: every connection is refused, as by a stopped server,
    # and no other process can take the port meanwhile.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        down = f"postgresql://agora@127.0.0.1:{port}/outage?connect_timeout=1"
        outage_attempts = 5  # more than max_attempts (3)
        attempts = 0

        async def handler(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
            nonlocal attempts
            attempts += 1
            if attempts <= outage_attempts:
                async with asyncio.TaskGroup() as group:
                    for _ in ("counters", "ledger"):
                        group.create_task(psycopg.AsyncConnection.connect(down))
            if attempts == outage_attempts + 1:
                raise RuntimeError("the first call after the outage fails too")
            await bump(event, uow)

        running = await start_batch_consumer(
            world, kafka_bootstrap, counters_db, {world.event_type: handler}, max_attempts=3
        )
        try:
            await running.publisher.publish(world.event("c-1", amount=4))

            async def applied() -> bool:
                return await counter_value(counters_db, "c-1") == 4

            await eventually(applied)
            assert attempts == outage_attempts + 2
            # The DLQ copy would have been published before the counter moved.
            assert await _records_on(kafka_bootstrap, dlq_topic(world.topic)) == 0
        finally:
            await running.stop()
