"""The per-tenant outcome counter (``METRICS_PER_TENANT``), against the real broker and
PostgreSQL: each tenant's handled and duplicate events counted apart, and nothing
counted per tenant when the setting is off (one series per tenant is opt-in)."""

from __future__ import annotations

from typing import Any

import pytest
from core_postgres.world import start_batch_consumer

from agora_core.messaging.metrics import EVENTS_CONSUMED, TENANT_EVENTS_CONSUMED
from agora_core.postgres import Database
from agora_core.testing import eventually

from .harness import EventWorld

pytestmark = pytest.mark.integration


def _tenant_count(tenant: str, outcome: str) -> float:
    return float(TENANT_EVENTS_CONSUMED.labels("tests", tenant, outcome)._value.get())


@pytest.mark.parametrize("per_tenant", [True, False])
async def test_outcomes_are_counted_per_tenant_only_when_asked(
    kafka_bootstrap: str, counters_db: Database, unique: str, create_topic: Any, per_tenant: bool
) -> None:
    world = EventWorld(unique)
    await create_topic(world.topic)
    ada, bob = f"ada-{unique}", f"bob-{unique}"
    running = await start_batch_consumer(
        world, kafka_bootstrap, counters_db, per_tenant_metrics=per_tenant
    )
    handled = EVENTS_CONSUMED.labels("tests", world.topic, world.event_type, "handled")
    before = handled._value.get()
    try:
        first = world.event("c-1", tenant=ada)
        events = [first, first, world.event("c-2", tenant=ada), world.event("c-3", tenant=bob)]
        await running.publisher.publish_many(events)

        async def all_seen() -> bool:
            return bool(handled._value.get() - before == 3)

        await eventually(all_seen)
        counts = {
            (tenant, outcome): _tenant_count(tenant, outcome)
            for tenant in (ada, bob)
            for outcome in ("handled", "duplicate")
        }
    finally:
        await running.stop()
    expected = {(ada, "handled"): 2, (ada, "duplicate"): 1, (bob, "handled"): 1}
    if not per_tenant:
        expected = {}
    assert {key: value for key, value in counts.items() if value} == expected
