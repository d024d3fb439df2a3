"""Hinted relay wake-ups: a written document is claimed by ``_id``, never by a scan.

Real broker, real FerretDB. Each relay counts its scanning rounds, so the tests prove
which path published an entry instead of guessing from timings.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from core_messaging.harness import EventWorld, start_publisher
from pymongo.asynchronous.database import AsyncDatabase

from agora_core.outbox import OUTBOX_FIELD, OutboxHint, OutboxRelay, with_outbox
from agora_core.storage import Document, TenantRepository
from agora_core.testing import eventually

pytestmark = pytest.mark.integration

COLLECTION = "counters"
NO_IDLE_SCAN = 3600.0  # an idle timer far beyond any test: only wake-ups publish


class ScanCountingRelay(OutboxRelay):
    """The real relay, counting its scanning rounds."""

    scans = 0
    scans_done = 0

    async def publish_once(self) -> int:
        self.scans += 1
        sent = await super().publish_once()
        self.scans_done += 1
        return sent


async def _write(repo: TenantRepository, world: EventWorld, counter_id: str, amount: int) -> None:
    event = world.event(counter_id, amount=amount, tenant=repo.tenant_id)
    assert await repo.update_one(
        {"_id": counter_id}, with_outbox({"$inc": {"value": amount}}, [event]), upsert=True
    )


def _amounts(records: list[Any]) -> list[int]:
    return sorted(json.loads(r.value)["amount"] for r in records)


async def test_a_hinted_write_is_published_without_a_scan_an_unhinted_one_by_a_scan(
    kafka_bootstrap: str,
    database: AsyncDatabase[Document],
    unique: str,
    create_topic: Any,
    read_topic: Any,
) -> None:
    world = EventWorld(unique)
    await create_topic(world.topic)
    repo = TenantRepository(database[COLLECTION], "acme")
    broker, publisher = await start_publisher(kafka_bootstrap, unique)
    relay = ScanCountingRelay(
        [database[COLLECTION]], publisher, service="tests", poll_interval=NO_IDLE_SCAN
    )
    relay.start()
    try:

        async def started() -> bool:  # the start-up scan (entries of a previous process)
            return relay.scans_done == 1

        await eventually(started)
        await _write(repo, world, "c-hinted", 1)
        relay.notify(OutboxHint(COLLECTION, "c-hinted"))
        assert _amounts(await read_topic(world.topic, 1)) == [1]

        async def pulled() -> bool:
            stored = await repo.find_one({"_id": "c-hinted"})
            return stored is not None and stored[OUTBOX_FIELD] == []

        await eventually(pulled)
        assert relay.scans == 1  # published by _id: no scan ran for it

        await _write(repo, world, "c-unhinted", 2)
        relay.notify()  # a writer that cannot name its document: a scan finds it
        assert _amounts(await read_topic(world.topic, 2)) == [1, 2]
        assert relay.scans == 2
    finally:
        await relay.stop(flush=False)
        await broker.stop()


async def test_the_idle_timer_scan_publishes_writes_that_never_notified(
    kafka_bootstrap: str,
    database: AsyncDatabase[Document],
    unique: str,
    create_topic: Any,
    read_topic: Any,
) -> None:
    world = EventWorld(unique)
    await create_topic(world.topic)
    repo = TenantRepository(database[COLLECTION], "acme")
    broker, publisher = await start_publisher(kafka_bootstrap, unique)
    relay = ScanCountingRelay([database[COLLECTION]], publisher, service="tests", poll_interval=0.5)
    relay.start()
    try:
        await _write(repo, world, "c-silent", 7)  # no notify at all: a crashed writer
        assert _amounts(await read_topic(world.topic, 1)) == [7]
        assert relay.scans >= 1
    finally:
        await relay.stop(flush=False)
        await broker.stop()


async def test_two_relays_given_the_same_hints_publish_each_entry_once(
    kafka_bootstrap: str,
    database: AsyncDatabase[Document],
    unique: str,
    create_topic: Any,
    read_topic: Any,
) -> None:
    world = EventWorld(unique)
    await create_topic(world.topic)
    repo = TenantRepository(database[COLLECTION], "acme")
    ids = [f"c-{index}" for index in range(40)]
    for index, counter_id in enumerate(ids):
        await _write(repo, world, counter_id, index + 1)
    broker, publisher = await start_publisher(kafka_bootstrap, unique)
    relays = [
        ScanCountingRelay([database[COLLECTION]], publisher, service="tests", batch_size=7)
        for _ in range(2)
    ]
    try:
        for relay in relays:  # both replicas were told about every write
            for counter_id in ids:
                relay.notify(OutboxHint(COLLECTION, counter_id))
        sent = await asyncio.gather(*(relay.publish_hinted() for relay in relays))
        assert sum(sent) == 40
        assert [relay.scans for relay in relays] == [0, 0]
        records = await read_topic(world.topic, 41, timeout=5)
        event_ids = [dict(r.headers)["ce_id"] for r in records]
        assert len(event_ids) == 40
        assert len(set(event_ids)) == 40
        assert _amounts(records) == list(range(1, 41))
        assert await relays[0].backlog() == 0
    finally:
        await broker.stop()


async def test_hints_beyond_the_queue_are_dropped_and_a_scan_publishes_everything(
    kafka_bootstrap: str,
    database: AsyncDatabase[Document],
    unique: str,
    create_topic: Any,
    read_topic: Any,
) -> None:
    world = EventWorld(unique)
    await create_topic(world.topic)
    repo = TenantRepository(database[COLLECTION], "acme")
    broker, publisher = await start_publisher(kafka_bootstrap, unique)
    relay = ScanCountingRelay(
        [database[COLLECTION]],
        publisher,
        service="tests",
        poll_interval=NO_IDLE_SCAN,
        max_hints=5,
    )
    relay.start()
    try:

        async def started() -> bool:
            return relay.scans_done == 1

        await eventually(started)
        ids = [f"c-{index}" for index in range(30)]
        for index, counter_id in enumerate(ids):
            await _write(repo, world, counter_id, index + 1)
        # All hints at once (no await between them): 5 fit, 25 are dropped.
        for counter_id in ids:
            relay.notify(OutboxHint(COLLECTION, counter_id))
        records = await read_topic(world.topic, 30)
        assert _amounts(records) == list(range(1, 31))
        assert len({dict(r.headers)["ce_id"] for r in records}) == 30

        async def drained() -> bool:  # published entries are pulled after the acks
            return await relay.backlog() == 0

        await eventually(drained)
        assert relay.scans == 2  # start-up, then the one the overflow scheduled
    finally:
        await relay.stop(flush=False)
        await broker.stop()


async def test_a_hint_for_an_unwatched_collection_falls_back_to_a_scan(
    kafka_bootstrap: str,
    database: AsyncDatabase[Document],
    unique: str,
    create_topic: Any,
    read_topic: Any,
) -> None:
    world = EventWorld(unique)
    await create_topic(world.topic)
    repo = TenantRepository(database[COLLECTION], "acme")
    broker, publisher = await start_publisher(kafka_bootstrap, unique)
    relay = ScanCountingRelay(
        [database[COLLECTION]], publisher, service="tests", poll_interval=NO_IDLE_SCAN
    )
    relay.start()
    try:

        async def started() -> bool:
            return relay.scans_done == 1

        await eventually(started)
        await _write(repo, world, "c-1", 3)
        relay.notify(OutboxHint("not-an-outbox-collection", "c-1"))  # a wiring mistake
        assert _amounts(await read_topic(world.topic, 1)) == [3]
        assert relay.scans == 2
    finally:
        await relay.stop(flush=False)
        await broker.stop()
