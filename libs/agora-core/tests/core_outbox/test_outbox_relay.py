"""The transactional outbox and its relay against the real broker and FerretDB."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from core_messaging.harness import EventWorld, start_publisher
from pymongo.asynchronous.database import AsyncDatabase

from agora_core.messaging.events import OutgoingEvent
from agora_core.messaging.publisher import EventPublisher
from agora_core.outbox import OUTBOX_FIELD, OutboxRelay, with_outbox
from agora_core.storage import Document, TenantRepository
from agora_core.testing import eventually
from agora_platform.testenv import suite_environment

pytestmark = pytest.mark.integration

KAFKA_SCRIPT = Path(__file__).resolve().parents[4] / "deploy" / "local" / "kafka.sh"


async def _write_counter_with_events(
    repo: TenantRepository, world: EventWorld, counter_id: str, amounts: list[int]
) -> None:
    events = [world.event(counter_id, amount=a, tenant=repo.tenant_id) for a in amounts]
    update = with_outbox({"$inc": {"value": sum(amounts)}}, events)
    assert await repo.update_one({"_id": counter_id}, update, upsert=True)


async def test_state_change_and_its_events_are_one_write_then_relayed_in_order(
    kafka_bootstrap: str,
    database: AsyncDatabase[Document],
    unique: str,
    create_topic: Any,
    read_topic: Any,
) -> None:
    world = EventWorld(unique)
    await create_topic(world.topic)
    repo = TenantRepository(database["counters"], "acme")
    await _write_counter_with_events(repo, world, "c-1", [1, 2, 3])
    stored = await repo.find_one({"_id": "c-1"})
    assert stored is not None
    assert stored["value"] == 6
    assert len(stored[OUTBOX_FIELD]) == 3  # the change and its events landed together

    broker, publisher = await start_publisher(kafka_bootstrap, unique)
    relay = OutboxRelay([database["counters"]], publisher, service="tests")
    try:
        assert await relay.flush() == 3
        assert await relay.flush() == 0
        records = await read_topic(world.topic, 3)
        assert [json.loads(r.value)["amount"] for r in records] == [1, 2, 3]
        assert [r.key for r in records] == [b"c-1"] * 3
        assert {r.partition for r in records} == {records[0].partition}
        after = await repo.find_one({"_id": "c-1"})
        assert after is not None
        assert after[OUTBOX_FIELD] == []
        assert await relay.backlog() == 0
    finally:
        await broker.stop()


class CountingPublisher(EventPublisher):
    """The real publisher, counting the batches the relay hands it."""

    batches = 0

    async def publish_many(self, events: Sequence[OutgoingEvent]) -> None:
        self.batches += 1
        await super().publish_many(events)


async def test_a_wake_delay_gathers_many_writes_into_one_relay_pass(
    kafka_bootstrap: str,
    database: AsyncDatabase[Document],
    unique: str,
    create_topic: Any,
    read_topic: Any,
) -> None:
    world = EventWorld(unique)
    await create_topic(world.topic)
    broker, _ = await start_publisher(kafka_bootstrap, unique)
    publisher = CountingPublisher(broker, service="tests")
    # a poll far away: only the (delayed) wake-up can publish within the test
    relay = OutboxRelay(
        [database["counters"]], publisher, service="tests", poll_interval=60, wake_delay=3.0
    )
    relay.start()
    try:
        await asyncio.sleep(0.1)  # the relay's first round has found nothing and waits
        repo = TenantRepository(database["counters"], "acme")
        for n in range(1, 21):  # a wake-up after each write, as the services do
            await _write_counter_with_events(repo, world, f"c-{n}", [n])
            relay.notify()
        records = await read_topic(world.topic, 20)
        assert sorted(json.loads(r.value)["amount"] for r in records) == list(range(1, 21))
        assert publisher.batches == 1
    finally:
        await relay.stop(flush=False)
        await broker.stop()


async def test_two_relays_publish_each_entry_once(
    kafka_bootstrap: str,
    database: AsyncDatabase[Document],
    unique: str,
    create_topic: Any,
    read_topic: Any,
) -> None:
    world = EventWorld(unique)
    await create_topic(world.topic)
    repo = TenantRepository(database["counters"], "acme")
    for index in range(40):
        await _write_counter_with_events(repo, world, f"c-{index}", [1])
    broker, publisher = await start_publisher(kafka_bootstrap, unique)
    first = OutboxRelay([database["counters"]], publisher, service="tests", batch_size=7)
    second = OutboxRelay([database["counters"]], publisher, service="tests", batch_size=7)
    try:
        sent = await asyncio.gather(first.flush(), second.flush())
        assert sum(sent) == 40
        records = await read_topic(world.topic, 41, timeout=5)
        ids = [dict(r.headers)["ce_id"] for r in records]
        assert len(ids) == 40
        assert len(set(ids)) == 40
    finally:
        await broker.stop()


def _kafka(command: str, bootstrap: str) -> None:
    """Stop or start the very broker the tests use (same port, same state dir: the test
    environment's, never the developer's platform)."""
    suite = suite_environment(KAFKA_SCRIPT.parents[2], os.environ)
    env = {**os.environ, **suite.script_environ(), "AGORA_KAFKA_PORT": bootstrap.rpartition(":")[2]}
    subprocess.run(["bash", str(KAFKA_SCRIPT), command], check=True, env=env)  # noqa: S603, S607


async def test_entries_written_while_the_broker_is_down_go_out_once_it_is_back(
    kafka_bootstrap: str,
    database: AsyncDatabase[Document],
    unique: str,
    create_topic: Any,
    read_topic: Any,
) -> None:
    world = EventWorld(unique)
    await create_topic(world.topic)
    repo = TenantRepository(database["counters"], "acme")
    broker, publisher = await start_publisher(kafka_bootstrap, unique)
    relay = OutboxRelay([database["counters"]], publisher, service="tests", poll_interval=0.1)
    relay.start()
    try:
        await asyncio.to_thread(_kafka, "stop", kafka_bootstrap)
        try:
            for index in range(5):
                await _write_counter_with_events(repo, world, f"c-{index}", [index + 1])
            relay.notify()
            await asyncio.sleep(3)
            assert await relay.backlog() == 5  # nothing lost, nothing marked as sent
        finally:
            await asyncio.to_thread(_kafka, "start", kafka_bootstrap)

        async def drained() -> bool:
            return await relay.backlog() == 0

        await eventually(drained, timeout=90)
        records = await read_topic(world.topic, 6, timeout=10)
        ids = [dict(r.headers)["ce_id"] for r in records]
        assert len(ids) == 5
        assert len(set(ids)) == 5
    finally:
        await relay.stop(flush=False)
        await broker.stop()
