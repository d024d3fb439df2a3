"""The consumer phase of ``bench/community.py``: like events published to the likes
topic, until the service's consumer group has committed past them (each poll commits
after its transaction: marks, popularity, popularity.changed rows), every one then
checked marked; beside raw aiokafka consumption of the same records and the storage
floor of as many other like events of the same targets (``bench/processes/floor.py``)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from agora_community.entrypoints.events import engagement_handlers, typed
from agora_community.settings import CommunitySettings
from agora_contracts.events.domains.community import LIKES_TOPIC, LikeAddedV1
from agora_core.messaging.events import OutgoingEvent
from agora_core.postgres import Database
from agora_core.testing.event_tap import wait_caught_up
from bench.processes.floor import handler_floor
from bench.processes.kafka import end_offsets, raw_consume, send_all
from bench.processes.postgres import outbox_emptied, scalar
from bench.seeds.community import TENANT


async def settled(database: Database) -> None:
    """Until the outbox is empty and the consumer has had time to catch up with it."""
    await outbox_emptied(database, TENANT)
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
    since = await end_offsets(kafka, LIKES_TOPIC)
    began = time.perf_counter()
    await send_all(kafka, batch)
    # Done when the group's committed offsets reach the end: the consumer commits a
    # poll's offsets after its transaction (marks, popularity, outbox rows). Polling
    # the broker, not the database, keeps the measurement off the measured database.
    await wait_caught_up(kafka, group, [LIKES_TOPIC], timeout=1800, interval=0.2)
    service_s = time.perf_counter() - began
    raw_s = await raw_consume(kafka, since, events)
    marks = (
        "SELECT count(*) FROM processed_events WHERE group_id = %s AND event_id = ANY(%s::uuid[])"
    )
    ids = [e.event_id for e in batch]
    marked = await scalar(database, TENANT, marks, (group, ids))
    assert marked == events, "every event marked handled"
    return {
        "events": events,
        "service_per_s": round(events / service_s, 1),
        "raw_consume_per_s": round(events / raw_s, 1),
    }


async def storage_floor(database: Database, events: int, items: int) -> float:
    """Events/s of ``events`` other like events of the same targets written by the
    consumer's own set handler with their marks, 500 per transaction, with no Kafka
    (and no service running)."""
    half_life = CommunitySettings.model_fields["trending_half_life_hours"].default
    handler = engagement_handlers(half_life)[typed(LikeAddedV1)]
    return await handler_floor(database, handler, like_events(events, items))
