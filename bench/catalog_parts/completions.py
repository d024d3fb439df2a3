"""The completions phase of ``bench/catalog.py``: knowledge.completed events of the team
on its path's items, handled by the catalog's consumer (each advances an enrolment, one
transaction per poll), beside raw aiokafka consumption of the same records and the
storage floor of the same effects (``bench/processes/floor.py``) for a second team
enrolled on a second path of the same items."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from agora_catalog.adapters.postgres.unit_of_work import on_batch
from agora_catalog.entrypoints.events import set_handlers
from agora_catalog.service_layer.events import EventFactory
from agora_contracts.events.domains.learning import COMPLETIONS_TOPIC, KnowledgeCompletedV1
from agora_contracts.events.registry import REGISTRY
from agora_core.messaging.events import OutgoingEvent
from agora_core.postgres import Database
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events
from bench.processes.floor import handler_floor
from bench.processes.kafka import end_offsets, raw_consume
from bench.processes.postgres import checkpoint, outbox_emptied, scalar
from bench.seeding.catalog import TENANT, learner, seed_team


def completion_events(
    path_items: list[str], team: int, count: int, first: int = 0
) -> list[OutgoingEvent]:
    """``count`` completions, round after round, of every learner ``first`` to
    ``first + team`` on the next item of the path."""
    factory = EventFactory(REGISTRY)
    now = datetime.now(UTC)
    events = []
    for n in range(count):
        who, item = learner(first + n % team), path_items[(n // team) % len(path_items)]
        completed = KnowledgeCompletedV1(
            learner_id=who, item_id=item, item_type="wiki", item_title="seeded", completed_at=now
        )
        events.append(
            factory.create(completed, subject=item, tenant_id=TENANT, actor_id=who, key=who)
        )
    return events


async def _processed(database: Database) -> int:
    return await scalar(database, TENANT, "SELECT count(*) FROM processed_events")


def _handled(database: Database, target: int) -> Callable[[], Awaitable[bool]]:
    async def reached() -> bool:
        return await _processed(database) >= target

    return reached


async def steps_done(database: Database, path_id: str) -> int:
    """Steps completed over every enrolment of the path: one per completion handled."""
    query = "SELECT sum(cardinality(completed_item_ids)) FROM enrolments WHERE path_id = %s"
    return await scalar(database, TENANT, query, (path_id,))


async def _settled(database: Database) -> int:
    """The processed count once it stops moving (earlier completions all handled)."""
    last = -1
    while (now := await _processed(database)) != last:
        last = now
        await asyncio.sleep(2.0)
    return last


async def measure_completions(
    kafka: str, database: Database, path_id: str, path_items: list[str], team: int, count: int
) -> dict[str, Any]:
    """The team's completions handled by the catalog's consumer vs raw consumption, and
    the steps they advanced (fewer than the events by the few steps the seed's progress
    had already done)."""
    batch = completion_events(path_items, team, count)
    before = await _settled(database)
    steps_before = await steps_done(database, path_id)
    offsets = await end_offsets(kafka, COMPLETIONS_TOPIC)
    started = time.perf_counter()
    await publish_events(kafka, batch)
    await eventually(_handled(database, before + count), timeout=600, interval=0.05)
    handled = time.perf_counter() - started
    raw = await raw_consume(kafka, offsets, count)
    return {
        "events": count,
        "handled_per_s": round(count / handled, 1),
        "raw_consume_per_s": round(count / raw, 1),
        "steps_advanced": await steps_done(database, path_id) - steps_before,
    }


async def storage_floor(
    admin_dsn: str, database: Database, item_ids: list[str], team: int, count: int
) -> dict[str, Any]:
    """Events/s of the same effects with no Kafka: a second team of ``team`` learners
    (after the first) assigned a second path of the same items, then ``count`` of their
    completions written by the consumer's own set handler, 500 per transaction; and the
    steps they advanced (every one of them does: none of the second team's learners had
    a step done before)."""
    path_id = await seed_team(database, item_ids, team, first=team)
    await outbox_emptied(database, TENANT)  # the assignments' events, not the floor's
    await checkpoint(admin_dsn)
    handler = set_handlers(EventFactory(REGISTRY), on_batch)[
        REGISTRY.spec_for(KnowledgeCompletedV1).event_type
    ]
    events = completion_events(item_ids[:5], team, count, first=team)
    before = await steps_done(database, path_id)
    rate = await handler_floor(database, handler, events)
    return {
        "events_per_s": round(rate, 1),
        "steps_advanced": await steps_done(database, path_id) - before,
    }
