"""Time-driven work on PostgreSQL: relaunch reminders, assignment alerts, managers'
stalled-work digests, email digests and microlearning nudges, driven by claims.

Each queue (``reminder_queue``, ``assignment_queue``, ``digest_queue``, ``nudge_queue``)
holds one slot per thing to do and when; a run claims due slots across tenants with
``FOR UPDATE SKIP LOCKED`` and a lease (so replicas share the work and never both
take one slot), then does each slot's work in its tenant's unit of work: the
notification, the tracked state, and the slot settled (due again later, or gone) in
one transaction, and only while the claim's lease is still this run's. A run that dies
leaves its slots to come due again when the lease ends; nothing was committed for them.
Stalled work is reported per tenant right after the reminder run that stalled it.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from agora_core.background import PeriodicTask
from agora_notifications.adapters.email_rendering import EmailRenderer
from agora_notifications.domain.model import Category, NotificationDraft
from agora_notifications.domain.schedule import next_nudge_time, reminder_delay
from agora_notifications.domain.schedule_queue import ScheduleQueue, SlotClaim
from agora_notifications.domain.tracked import stalled_work_digests
from agora_notifications.service_layer.email_digests import send_digests
from agora_notifications.service_layer.notify import EmailLinks, notify
from agora_notifications.service_layer.ports import Clock, Waker
from agora_notifications.service_layer.schedule_ports import (
    ScheduleClaims,
    SchedulerUnitOfWork,
    SchedulerUnitOfWorkFactory,
)

_BATCH = 100


@dataclass
class TickReport:
    """What one run did (for logs and tests)."""

    reminders: int = 0
    due_soon: int = 0
    overdue: int = 0
    stalled_digests: int = 0
    email_digests: int = 0
    nudges: int = 0


@dataclass(frozen=True)
class SchedulePolicy:
    inactivity: timedelta
    factor: float
    max_count: int
    due_soon: timedelta
    nudge_max_minutes: int
    digest_hour: int
    lease: timedelta


class _LeaseLost(Exception):
    """Another run retook the slot: this transaction must not commit."""


@dataclass
class _Run:
    now: datetime
    owner: uuid.UUID = field(default_factory=uuid.uuid4)
    report: TickReport = field(default_factory=TickReport)
    stalled_tenants: set[str] = field(default_factory=set)


class ClaimingScheduler:
    """Runs everything whose time has come; one per process, any number of processes."""

    def __init__(
        self,
        units: SchedulerUnitOfWorkFactory,
        claims: ScheduleClaims,
        *,
        renderer: EmailRenderer,
        links: EmailLinks,
        clock: Clock,
        worker: Waker,
        policy: SchedulePolicy,
        interval: float,
    ) -> None:
        self._units = units
        self._claims = claims
        self._renderer = renderer
        self._links = links
        self._clock = clock
        self._worker = worker
        self._policy = policy
        self._loop = PeriodicTask("notification-scheduler", self._tick, interval)
        self._lock = asyncio.Lock()

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def _tick(self) -> None:
        await self.run_due(self._clock.now())

    async def run_due(self, now: datetime) -> TickReport:
        """Do everything due at ``now``."""
        async with self._lock:
            run = _Run(now)
            async for claim in self._due(ScheduleQueue.REMINDERS, run):
                await self._settled(claim, self._reminder(claim, run))
            for tenant in sorted(run.stalled_tenants):
                await self._stalled_work(tenant, run)
            async for claim in self._due(ScheduleQueue.ASSIGNMENTS, run):
                await self._settled(claim, self._assignment_alert(claim, run))
            async for claim in self._due(ScheduleQueue.DIGESTS, run):
                await self._settled(claim, self._email_digest(claim, run))
            async for claim in self._due(ScheduleQueue.NUDGES, run):
                await self._settled(claim, self._nudge(claim, run))
            self._worker.notify()
            return run.report

    async def _due(self, queue: ScheduleQueue, run: _Run) -> AsyncIterator[SlotClaim]:
        while True:
            claims = await self._claims.claim(
                queue, run.now, limit=_BATCH, lease=self._policy.lease, owner=run.owner
            )
            for claim in claims:
                yield claim
            if len(claims) < _BATCH:
                return

    @staticmethod
    async def _settled(claim: SlotClaim, work: Awaitable[None]) -> None:
        # Lost: rolled back, the run that retook the slot does its work.
        with contextlib.suppress(_LeaseLost):
            await work

    async def _notify(
        self, uow: SchedulerUnitOfWork, drafts: Sequence[NotificationDraft], now: datetime
    ) -> None:
        await notify(
            uow,
            drafts,
            now,
            renderer=self._renderer,
            links=self._links,
            digest_hour=self._policy.digest_hour,
        )

    @staticmethod
    async def _settle(uow: SchedulerUnitOfWork, claim: SlotClaim, due: datetime | None) -> None:
        slots = uow.schedule_slots
        kept = await (slots.finish(claim) if due is None else slots.reschedule(claim, due))
        if not kept:
            raise _LeaseLost

    # -- relaunch reminders and the stalled-work digest ------------------------------------

    async def _reminder(self, claim: SlotClaim, run: _Run) -> None:
        learner, kind, work = claim.key
        policy = self._policy
        async with self._units(claim.tenant_id) as uow:
            tracked = await uow.tracked_work.get(learner, kind, work)
            if tracked is None or tracked.completed or tracked.reminders_sent >= policy.max_count:
                await self._settle(uow, claim, None)
                return
            if tracked.next_reminder_at is None or tracked.next_reminder_at > run.now:
                await self._settle(uow, claim, tracked.next_reminder_at)
                return
            sent = tracked.reminders_sent + 1
            last = sent >= policy.max_count
            following = (
                None if last else run.now + reminder_delay(policy.inactivity, sent, policy.factor)
            )
            await self._settle(uow, claim, following)
            tracked_id = f"{claim.tenant_id}:{learner}:{kind}:{work}"
            draft = NotificationDraft(
                recipient_id=learner,
                category=Category.RELAUNCH_REMINDER,
                source_key=f"reminder:{tracked_id}:{sent}",
                subject_id=work,
                params={"title": tracked.title},
            )
            await self._notify(uow, [draft], run.now)
            stalled = last and tracked.assignment is not None
            await uow.tracked_work.reminded(
                learner, kind, work, sent=sent, next_reminder_at=following, stalled=stalled
            )
        run.report.reminders += 1
        if stalled:
            run.stalled_tenants.add(claim.tenant_id)

    async def _stalled_work(self, tenant: str, run: _Run) -> None:
        async with self._units(tenant) as uow:
            stalled = await uow.tracked_work.stalled_unreported()
            for draft, works in stalled_work_digests(tenant, stalled):
                await self._notify(uow, [draft], run.now)
                await uow.tracked_work.stalled_reported(works)
                run.report.stalled_digests += 1

    # -- assignment due soon / overdue -----------------------------------------------------

    async def _assignment_alert(self, claim: SlotClaim, run: _Run) -> None:
        learner, kind, work = claim.key
        async with self._units(claim.tenant_id) as uow:
            tracked = await uow.tracked_work.get(learner, kind, work)
            assignment = None if tracked is None else tracked.assignment
            if tracked is None or tracked.completed or assignment is None:
                await self._settle(uow, claim, None)
                return
            due_at = assignment.due_at
            if due_at is None or assignment.overdue_sent:
                await self._settle(uow, claim, None)
                return
            if due_at <= run.now:
                category, flag, next_slot = Category.ASSIGNMENT_OVERDUE, "overdue_sent", None
            elif due_at - self._policy.due_soon <= run.now and not assignment.due_soon_sent:
                category, flag, next_slot = Category.ASSIGNMENT_DUE_SOON, "due_soon_sent", due_at
            else:
                early = due_at if assignment.due_soon_sent else due_at - self._policy.due_soon
                await self._settle(uow, claim, early)
                return
            await self._settle(uow, claim, next_slot)
            draft = NotificationDraft(
                recipient_id=learner,
                category=category,
                source_key=f"{flag}:{assignment.assignment_id}",
                subject_id=work,
                params={"title": tracked.title, "due_at": due_at.isoformat()},
            )
            await self._notify(uow, [draft], run.now)
            overdue = category is Category.ASSIGNMENT_OVERDUE
            await uow.tracked_work.alerted(
                learner, kind, work, due_soon_sent=True, overdue_sent=overdue
            )
        if overdue:
            run.report.overdue += 1
        else:
            run.report.due_soon += 1

    # -- email digests -----------------------------------------------------------------------

    async def _email_digest(self, claim: SlotClaim, run: _Run) -> None:
        (person,) = claim.key
        async with self._units(claim.tenant_id) as uow:
            sent = await send_digests(
                uow, person, run.now, renderer=self._renderer, links=self._links
            )
            following = await uow.deliveries.next_held_send_at(person)
            # Without an email address the held ones wait (for a later digest, once the
            # person has one): the slot ends until new email is held.
            await self._settle(
                uow, claim, following if following is not None and following > run.now else None
            )
        run.report.email_digests += sent

    # -- microlearning nudges ----------------------------------------------------------------

    async def _nudge(self, claim: SlotClaim, run: _Run) -> None:
        (person,) = claim.key
        async with self._units(claim.tenant_id) as uow:
            profile = await uow.people.profile(person)
            following = next_nudge_time(
                run.now,
                profile.nudge_cadence,
                profile.time_zone,
                profile.nudge_hour,
                profile.nudge_weekday,
            )
            await self._settle(uow, claim, following)
            if following is None:
                return
            paths, completed, skills = await uow.people.interests(person)
            item = await uow.catalog.short_item_for(
                path_ids=paths,
                skill_ids=skills,
                completed=completed,
                max_minutes=self._policy.nudge_max_minutes,
            )
            if item is None:
                return
            draft = NotificationDraft(
                recipient_id=person,
                category=Category.NUDGE,
                # one nudge per slot: the slot is named by the next one it schedules
                source_key=f"nudge:before:{following.isoformat()}",
                subject_id=item.item_id,
                params={"title": item.title, "minutes": str(item.estimated_minutes)},
            )
            await self._notify(uow, [draft], run.now)
        run.report.nudges += 1
