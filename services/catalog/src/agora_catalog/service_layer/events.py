"""Building the catalog's outgoing events (stored in outboxes, published by the relay)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Final

from agora_catalog.domain import model
from agora_contracts.events import EventPayload, EventRegistry
from agora_contracts.events.common import SkillLevel
from agora_core.messaging.events import OutgoingEvent

SOURCE: Final = "/agora/catalog"


class EventFactory:
    """Wraps payloads in envelopes from this service."""

    def __init__(self, registry: EventRegistry) -> None:
        self._registry = registry

    def create(
        self,
        payload: EventPayload,
        *,
        subject: str,
        tenant_id: str,
        actor_id: str | None,
        key: str | None = None,
    ) -> OutgoingEvent:
        """An event about ``subject``; ``key`` orders it (the learner for learning events)."""
        return OutgoingEvent.create(
            payload,
            source=SOURCE,
            subject=subject,
            tenant_id=tenant_id,
            actor_id=actor_id,
            key=key,
            registry=self._registry,
        )


def skill_levels(skills: Iterable[model.SkillLevel]) -> tuple[SkillLevel, ...]:
    """Domain skill levels as contract values."""
    return tuple(SkillLevel(skill_id=s.skill_id, level=s.level) for s in skills)


def utc_now() -> datetime:
    """Now, in UTC (the time stamped on rows and events)."""
    return datetime.now(UTC)
