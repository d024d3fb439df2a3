"""The event tap sees exactly what is published after it started, filtered by tenant."""

from __future__ import annotations

import datetime as dt

import pytest

from agora_contracts.events import EventPayload
from agora_contracts.events.domains.learning import COMPLETIONS_TOPIC, KnowledgeStartedV1
from agora_core.messaging.events import OutgoingEvent
from agora_core.testing.event_tap import publish_events, tapping

pytestmark = pytest.mark.integration

STARTED = "org.agora.learning.knowledge.started.v1"


def started(tenant: str, item: str) -> OutgoingEvent:
    payload: EventPayload = KnowledgeStartedV1(
        learner_id="u-1",
        item_id=item,
        item_type="video",
        item_title="Intro",
        started_at=dt.datetime.now(dt.UTC),
    )
    return OutgoingEvent.create(
        payload, source="/agora/catalog", subject=item, tenant_id=tenant, key="u-1"
    )


async def test_tap_sees_only_what_follows_its_start_and_filters(
    kafka_bootstrap: str, unique: str
) -> None:
    tenant, other = f"a-{unique}", f"b-{unique}"
    await publish_events(kafka_bootstrap, [started(tenant, "k-before")])
    async with tapping(kafka_bootstrap, [COMPLETIONS_TOPIC]) as tap:
        await publish_events(
            kafka_bootstrap, [started(tenant, "k-1"), started(other, "k-2"), started(tenant, "k-3")]
        )
        seen = await tap.wait_for(STARTED, tenant=tenant, count=2)
        assert sorted(e.data["item_id"] for e in seen) == ["k-1", "k-3"]
        assert all(e.key == "u-1" and e.topic == COMPLETIONS_TOPIC for e in seen)
        assert tap.matching(STARTED, tenant=tenant, subject="k-before") == []
        assert [e.data["item_id"] for e in await tap.wait_for(STARTED, tenant=other)] == ["k-2"]


async def test_wait_for_fails_saying_what_it_saw(kafka_bootstrap: str, unique: str) -> None:
    tenant = f"a-{unique}"
    async with tapping(kafka_bootstrap, [COMPLETIONS_TOPIC]) as tap:
        await publish_events(kafka_bootstrap, [started(tenant, "k-1")])
        await tap.wait_for(STARTED, tenant=tenant)
        with pytest.raises(AssertionError, match=r"expected 2 .* got 1; types seen .*started"):
            await tap.wait_for(STARTED, tenant=tenant, count=2, timeout=1.0)
