"""Thin event handlers: a consumed event becomes :class:`EventFacts` for the use cases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from agora_core.messaging.consumer import EventHandler
from agora_core.messaging.events import ReceivedEvent
from agora_gamification.domain.catalogue import CONSUMED, STREAK_DAY
from agora_gamification.domain.profile import EventFacts
from agora_gamification.service_layer.challenges import Challenges
from agora_gamification.service_layer.scoring import Scoring


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
    )


def consumed_handlers(scoring: Scoring, challenges: Challenges) -> Mapping[str, EventHandler]:
    """One handler per consumed type (the runtime skips and counts any other type)."""

    async def on_event(event: ReceivedEvent[Any]) -> None:
        facts = facts_of(event)
        config = await scoring.handle(facts)
        await challenges.on_event(facts, config.open_challenges)

    return {event_type: on_event for event_type in CONSUMED if event_type != STREAK_DAY}


def consumed_topics() -> list[str]:
    """Topics of every consumed type."""
    from agora_contracts.events.registry import REGISTRY

    return sorted({REGISTRY.spec(t).topic for t in CONSUMED if t != STREAK_DAY})
