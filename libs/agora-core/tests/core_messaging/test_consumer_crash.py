"""A consumer killed (SIGKILL) after its effect but before its commit."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from core_postgres.world import bump, count_rows, counter_value, start_batch_consumer

from agora_core.messaging.events import ReceivedEvent
from agora_core.postgres import Database, UnitOfWork
from agora_core.testing import eventually

from .crashing_consumer import REACHED_TABLE
from .harness import EventWorld, start_publisher

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent


async def test_consumer_killed_before_commit_rehandles_without_a_second_effect(
    kafka_bootstrap: str, postgres_dsn: str, counters_db: Database, unique: str, create_topic: Any
) -> None:
    world = EventWorld(unique)
    await create_topic(world.topic, partitions=1)
    async with await psycopg.AsyncConnection.connect(postgres_dsn, autocommit=True) as own:
        await own.execute(f"CREATE TABLE {REACHED_TABLE} (event_id text PRIMARY KEY)")
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE / "crashing_consumer.py"),
        unique,
        kafka_bootstrap,
        postgres_dsn,
        env=env,
    )
    try:
        broker, publisher = await start_publisher(kafka_bootstrap, unique)
        event = world.event("c-9", amount=4)
        await publisher.publish(event)
        await broker.stop()

        async def effect_written() -> bool:
            async with await psycopg.AsyncConnection.connect(postgres_dsn) as own:
                cursor = await own.execute(
                    f"SELECT 1 FROM {REACHED_TABLE} WHERE event_id = %s",  # noqa: S608
                    (event.event_id,),
                )
                return await cursor.fetchone() is not None

        await eventually(effect_written, timeout=60)
        # Written in the open transaction only: nothing of it is visible yet.
        assert await counter_value(counters_db, "c-9") == 0
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()

    handled: list[str] = []

    async def handler(received: ReceivedEvent[Any], uow: UnitOfWork) -> None:
        handled.append(received.event_id)
        await bump(received, uow)

    restarted = await start_batch_consumer(
        world, kafka_bootstrap, counters_db, {world.event_type: handler}
    )
    try:

        async def redelivered() -> bool:
            marked = await count_rows(counters_db, "processed_events")
            return handled == [event.event_id] and marked == 1

        await eventually(redelivered, timeout=90)
        # The killed transaction rolled back: the effect and its echo count once.
        assert await counter_value(counters_db, "c-9") == 4
        assert await count_rows(counters_db, "outbox") == 1
    finally:
        await restarted.stop()
