"""A consumer killed (SIGKILL) after its effect but before its commit."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from agora_core.messaging.events import ReceivedEvent
from agora_core.storage import Document
from agora_core.testing import eventually

from .harness import (
    EventWorld,
    bump_counter,
    counter_value,
    ensure_counter,
    start_consumer,
    start_publisher,
)

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent


async def test_consumer_killed_before_commit_rehandles_without_a_second_effect(
    kafka_bootstrap: str,
    mongo_uri: str,
    database: AsyncDatabase[Document],
    unique: str,
    create_topic: Any,
) -> None:
    world = EventWorld(unique)
    await create_topic(world.topic, partitions=1)
    await ensure_counter(database, "c-9")
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HERE / "crashing_consumer.py"),
        unique,
        kafka_bootstrap,
        mongo_uri,
        database.name,
        env=env,
    )
    try:
        broker, publisher = await start_publisher(kafka_bootstrap, unique)
        event = world.event("c-9", amount=4)
        await publisher.publish(event)
        await broker.stop()

        async def effect_applied() -> bool:
            return await database["markers"].find_one({"_id": event.event_id}) is not None

        await eventually(effect_applied, timeout=60)
        assert await counter_value(database, "c-9") == 4
    finally:
        process.send_signal(signal.SIGKILL)
        await process.wait()

    handled: list[str] = []

    async def handler(received: ReceivedEvent[Any]) -> None:
        handled.append(received.event_id)
        await bump_counter(database, received)

    restarted = await start_consumer(world, kafka_bootstrap, database, {world.event_type: handler})
    try:

        async def redelivered() -> bool:
            marked = await database["processed_events"].count_documents(
                {"_id": f"{world.group}:{event.event_id}"}
            )
            return handled == [event.event_id] and marked == 1

        await eventually(redelivered, timeout=90)
        assert await counter_value(database, "c-9") == 4
    finally:
        await restarted.stop()
