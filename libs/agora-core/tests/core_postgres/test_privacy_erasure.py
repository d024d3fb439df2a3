"""Erasure on PostgreSQL through the real batch consumer, broker and database.

A counter id stands for a person (the guard reads every id-like payload value): the
stream bumps "ada" and "bob", erases "ada", then bumps both again. After it, ada's
counter is gone and never comes back, bob's total is exact, and a second erasure of
the same person (a new event id) changes nothing. Without the guard the bumps after
the erasure would bring ada's counter back: the totals assertion fails then.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from core_messaging.harness import EventWorld, start_publisher

from agora_contracts.events import EventSpec
from agora_contracts.events.domains.privacy import PersonErasedV1
from agora_core.messaging.batch_consumer import BatchEventHandler, EventSetHandler
from agora_core.messaging.events import OutgoingEvent
from agora_core.postgres import Database, UnitOfWork
from agora_core.privacy import PERSON_ERASED
from agora_core.privacy.postgres import (
    Erasure,
    PostgresPersonEraser,
    with_erasure_batch,
)
from agora_core.testing import eventually
from core_postgres.world import bump, bump_all, count_rows, start_batch_consumer, totals

pytestmark = pytest.mark.integration

erasure_runs: list[tuple[Erasure, int]] = []


async def forget_counter(uow: UnitOfWork, erasure: Erasure) -> int:
    cursor = await uow.connection.execute(
        "DELETE FROM counters WHERE tenant_id = %s AND counter_id = %s",
        (erasure.tenant_id, erasure.person_id),
    )
    erasure_runs.append((erasure, cursor.rowcount))
    return cursor.rowcount


def _erasure(world: EventWorld, person: str, erasure_id: str) -> OutgoingEvent:
    payload = PersonErasedV1(
        erasure_id=erasure_id,
        person_id=person,
        requested_by="u-admin",
        reason="data_subject_request",
        requested_at=datetime.now(UTC),
    )
    return OutgoingEvent.create(
        payload, source="/agora/tests", subject=person, tenant_id="acme", registry=world.registry
    )


def _bob_total(events: Sequence[OutgoingEvent]) -> int:
    return sum(
        json.loads(e.value)["amount"]
        for e in events
        if e.headers.get("ce_subject") == "bob" and e.headers["ce_tenantid"] == "acme"
    )


@pytest.mark.parametrize("kind", ["per-event handler", "set handler"])
async def test_an_erased_person_is_removed_and_never_comes_back(
    kind: str, counters_db: Database, kafka_bootstrap: str, unique: str, create_topic: Any
) -> None:
    world = EventWorld(unique)
    # The erasure travels on the test's topic (its own registry), keyed by the person.
    world.registry.register(
        EventSpec(PERSON_ERASED, world.topic, PersonErasedV1, "the person", "erased")
    )
    await create_topic(world.topic, 3)
    await create_topic(f"{world.topic}.dlq", 1)
    eraser = PostgresPersonEraser(
        counters_db, [("counters", forget_counter)], not_personal={"notes": "test"}
    )
    handlers: Mapping[str, BatchEventHandler] = (
        {world.event_type: bump} if kind == "per-event handler" else {}
    )
    sets: Mapping[str, EventSetHandler] = (
        {world.event_type: bump_all} if kind == "set handler" else {}
    )
    _topics, guarded, guarded_sets = with_erasure_batch(
        [world.topic], handlers, eraser, set_handlers=sets
    )
    before = [world.event(p, amount=1 + i % 3) for i in range(40) for p in ("ada", "bob")]
    after = [world.event(p, amount=2) for _ in range(20) for p in ("ada", "bob")]
    elsewhere = world.event("ada", amount=7, tenant="globex")
    erase = _erasure(world, "ada", "e1")
    again = _erasure(world, "ada", "e2")  # a second erasure request: a new event id
    stream = [*before, erase, erase, again, *after, elsewhere]
    erasure_runs.clear()

    broker, publisher = await start_publisher(kafka_bootstrap, unique)
    try:
        await publisher.publish_many(stream)
    finally:
        await broker.stop()
    running = await start_batch_consumer(
        world, kafka_bootstrap, counters_db, guarded, set_handlers=guarded_sets or None
    )
    try:
        distinct = len(stream) - 1  # the duplicated erasure is marked once

        async def all_handled() -> bool:
            return await count_rows(counters_db, "processed_events") >= distinct

        await eventually(all_handled, timeout=60)
    finally:
        await running.stop()

    assert await totals(counters_db, "acme") == {"bob": _bob_total(stream)}
    # The tombstone is per tenant: the same id elsewhere is another person.
    assert await totals(counters_db, "globex") == {"ada": 7}
    assert await eraser.tombstones.is_erased("acme", "ada")
    assert not await eraser.tombstones.is_erased("globex", "ada")
    assert not await eraser.tombstones.is_erased("acme", "bob")
    # Two erasure events ran the step twice (the duplicate once), each with its own
    # pseudonym; the second found nothing left. Bumps after them were dropped (without
    # the guard ada's counter would be back with 40).
    assert [changed for _, changed in erasure_runs] == [1, 0]
    assert erasure_runs[0][0].pseudonym != erasure_runs[1][0].pseudonym
    assert count_rows_erased(await _tombstones(counters_db)) == 1


async def _tombstones(database: Database) -> list[tuple[str, str]]:
    async with database.unit_of_work("acme") as uow:
        cursor = await uow.connection.execute("SELECT tenant_id, digest FROM erased_persons")
        return [(row[0], row[1]) for row in await cursor.fetchall()]


def count_rows_erased(rows: list[tuple[str, str]]) -> int:
    # A digest, never the id itself.
    assert all(digest != "ada" and len(digest) == 64 for _, digest in rows)
    return len(rows)


def test_a_plan_must_name_every_table() -> None:
    eraser = PostgresPersonEraser(
        Database.__new__(Database), [("counters", forget_counter)], not_personal={"notes": "x"}
    )
    tables = {"counters", "notes", "outbox", "processed_events", "erased_persons", "spaces"}

    assert eraser.uncovered(tables) == ["spaces"]
