"""Ports of the claiming scheduler: the cross-tenant claims of due slots, settling a
slot in its tenant's unit of work, and what each run reads and marks there."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Protocol

from agora_notifications.domain.catalog import ShortItem
from agora_notifications.domain.deliveries import Delivery
from agora_notifications.domain.schedule_queue import ScheduleQueue, SlotClaim
from agora_notifications.domain.tracked import TrackedWork
from agora_notifications.service_layer.ports import DeliveryRepository
from agora_notifications.service_layer.projection_ports import (
    CatalogProjection,
    IntakeUnitOfWork,
    LearnerPeople,
    TrackedWorkRepository,
)


class ScheduleClaims(Protocol):
    """Leases due slots of one queue across tenants (committed before the work)."""

    async def claim(
        self,
        queue: ScheduleQueue,
        now: datetime,
        *,
        limit: int,
        lease: timedelta,
        owner: uuid.UUID,
    ) -> list[SlotClaim]: ...


class ScheduleSlots(Protocol):
    """Settling a claimed slot; False when its lease was lost (another run has it)."""

    async def reschedule(self, claim: SlotClaim, due_at: datetime) -> bool: ...

    async def finish(self, claim: SlotClaim) -> bool: ...


class ScheduledWork(TrackedWorkRepository, Protocol):
    async def reminded(
        self,
        learner: str,
        kind: str,
        work: str,
        *,
        sent: int,
        next_reminder_at: datetime | None,
        stalled: bool,
    ) -> bool: ...

    async def alerted(
        self, learner: str, kind: str, work: str, *, due_soon_sent: bool, overdue_sent: bool
    ) -> None: ...

    async def stalled_unreported(self) -> list[TrackedWork]: ...

    async def stalled_reported(self, works: Sequence[TrackedWork]) -> None: ...


class DigestDeliveries(DeliveryRepository, Protocol):
    async def held_until(self, recipient_id: str, until: datetime) -> list[Delivery]: ...

    async def next_held_send_at(self, recipient_id: str) -> datetime | None: ...

    async def mark_digested(self, delivery_ids: Sequence[str], digest_id: str) -> None: ...


class NudgeCatalog(CatalogProjection, Protocol):
    async def short_item_for(
        self,
        *,
        path_ids: Sequence[str],
        skill_ids: Sequence[str],
        completed: Sequence[str],
        max_minutes: int,
    ) -> ShortItem | None: ...


class NudgedPeople(LearnerPeople, Protocol):
    async def interests(self, person_id: str) -> tuple[list[str], list[str], list[str]]: ...


class SchedulerUnitOfWork(IntakeUnitOfWork, Protocol):
    """One tenant's transaction, with what the scheduler's runs read and mark."""

    @property
    def tracked_work(self) -> ScheduledWork: ...

    @property
    def deliveries(self) -> DigestDeliveries: ...

    @property
    def catalog(self) -> NudgeCatalog: ...

    @property
    def people(self) -> NudgedPeople: ...

    @property
    def schedule_slots(self) -> ScheduleSlots: ...


class SchedulerUnitOfWorkFactory(Protocol):
    def __call__(self, tenant_id: str) -> AbstractAsyncContextManager[SchedulerUnitOfWork]: ...
