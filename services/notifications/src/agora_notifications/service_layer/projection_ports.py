"""Ports of what the intake projects from events (tracked work, the catalog, what a
person learnt) and the unit of work that adds them to :class:`ports.UnitOfWork`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from agora_notifications.domain.tracked import Assignment, TrackedWork
from agora_notifications.service_layer.ports import PeopleRepository, UnitOfWork


class TrackedWorkRepository(Protocol):
    """One tenant's started and assigned work (and its reminder and alert slots)."""

    async def get(self, learner: str, kind: str, work: str) -> TrackedWork | None: ...

    async def started(
        self,
        learner: str,
        kind: str,
        work: str,
        *,
        title: str,
        at: datetime,
        first_reminder_at: datetime,
        path_id: str | None = None,
    ) -> None: ...

    async def activity(
        self, learner: str, kind: str, work: str, at: datetime, next_reminder_at: datetime
    ) -> None: ...

    async def completed(self, learner: str, kind: str, work: str) -> None: ...

    async def assigned(
        self,
        learner: str,
        kind: str,
        work: str,
        assignment: Assignment,
        *,
        title: str,
        at: datetime,
        first_reminder_at: datetime,
        first_alert_at: datetime | None,
    ) -> None: ...


class CatalogProjection(Protocol):
    """One tenant's published items and paths (what a nudge may suggest)."""

    async def item_published(
        self, item_id: str, title: str, estimated_minutes: int, skill_ids: Sequence[str]
    ) -> None: ...

    async def item_archived(self, item_id: str) -> None: ...

    async def path_published(self, path_id: str, item_ids: Sequence[str]) -> None: ...


class LearnerPeople(PeopleRepository, Protocol):
    """People, plus what events taught about each (their paths, completions, skills)."""

    async def learnt(
        self,
        person_id: str,
        *,
        paths: Sequence[str] = (),
        completed: Sequence[str] = (),
        skills: Sequence[str] = (),
    ) -> None: ...


class IntakeUnitOfWork(UnitOfWork, Protocol):
    """The unit of work of one consumed event's tenant, with the projections."""

    @property
    def people(self) -> LearnerPeople: ...

    @property
    def tracked_work(self) -> TrackedWorkRepository: ...

    @property
    def catalog(self) -> CatalogProjection: ...
