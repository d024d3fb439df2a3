"""Thin event handlers: consumed events become :class:`EventFacts` for the use cases.

Every consumed type has a set handler: the batch consumer hands it each run of that
type in a poll, and the run is scored in the batch's transaction, tenant by tenant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from agora_core.messaging.batch_consumer import EventSetHandler, by_tenant
from agora_core.messaging.events import ReceivedEvent
from agora_core.postgres.unit_of_work import UnitOfWork as CoreUnitOfWork
from agora_gamification.adapters.postgres.unit_of_work import bind
from agora_gamification.domain.catalogue import CONSUMED, MEMBER_JOINED, MEMBER_LEFT, STREAK_DAY
from agora_gamification.domain.profile import EventFacts
from agora_gamification.service_layer.challenges import Challenges
from agora_gamification.service_layer.people import membership_changed
from agora_gamification.service_layer.scoring import Clock, Scoring


def facts_of(event: ReceivedEvent[Any]) -> EventFacts:
    """The domain's view of an event; its time is the payload's own (``*_at``) time."""
    payload = event.payload
    occurred = next(
        (
            getattr(payload, name)
            for name in type(payload).model_fields
            if name.endswith("_at") and isinstance(getattr(payload, name), dt.datetime)
        ),
        event.envelope.time,
    )
    return EventFacts(
        tenant_id=event.tenant_id,
        event_id=event.event_id,
        event_type=event.envelope.type,
        actor_id=event.envelope.actorid,
        payload=payload.model_dump(mode="json"),
        occurred_at=occurred,
        traceparent=event.envelope.traceparent,
    )


def consumed_set_handlers(
    scoring: Scoring, challenges: Challenges, clock: Clock
) -> dict[str, EventSetHandler]:
    """One set handler per consumed type (the runtime skips and counts any other)."""

    async def score(events: Sequence[ReceivedEvent[Any]], core: CoreUnitOfWork) -> None:
        for tenant_id, group in by_tenant(events):
            uow = await bind(core, tenant_id)
            batch = [facts_of(e) for e in group]
            config = await scoring.score(uow, batch)
            await challenges.on_events(uow, batch, config.open_challenges)

    async def membership(events: Sequence[ReceivedEvent[Any]], core: CoreUnitOfWork) -> None:
        for tenant_id, group in by_tenant(events):
            uow = await bind(core, tenant_id)
            await membership_changed(uow, [facts_of(e) for e in group], clock())

    return {
        event_type: membership if event_type in (MEMBER_JOINED, MEMBER_LEFT) else score
        for event_type in CONSUMED
        if event_type != STREAK_DAY
    }


def consumed_topics() -> list[str]:
    """Topics of every consumed type."""
    from agora_contracts.events.registry import REGISTRY

    return sorted({REGISTRY.spec(t).topic for t in CONSUMED if t != STREAK_DAY})
