"""What the service does with each platform event it consumes, in the consumer batch's
unit of work (PostgreSQL): the batch's processed marks, these effects and their outbox
rows commit together.

Three idempotent effects per event: notifications for the people it concerns
(:mod:`domain.triggers`, stored by :func:`notify.notify`), projections kept for
reminders and nudges (work started, assignments, paths and short items), and one
webhook delivery per matching subscription of the tenant (queued for the worker).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agora_contracts.events.domains import catalog, learning
from agora_contracts.events.domains.notifications import NotificationFailedV1
from agora_core.messaging.events import ReceivedEvent
from agora_notifications.adapters.email_rendering import EmailRenderer
from agora_notifications.domain.deliveries import Delivery, WebhookContent
from agora_notifications.domain.model import DeliveryState
from agora_notifications.domain.tracked import Assignment
from agora_notifications.domain.triggers import TRIGGERS
from agora_notifications.service_layer.notify import EmailLinks, notify
from agora_notifications.service_layer.ports import Clock, Waker
from agora_notifications.service_layer.projection_ports import IntakeUnitOfWork
from agora_notifications.service_layer.webhook_routing import SubscriptionCache


@dataclass(frozen=True)
class IntakePolicy:
    """When reminders and assignment alerts first come due, and how emails are made."""

    reminder_inactivity: timedelta
    due_soon: timedelta
    digest_hour: int


class Intake:
    """Applies one consumed event in its tenant's unit of work; every effect is safe to
    apply twice (deterministic ids, set-like projections)."""

    def __init__(
        self,
        *,
        renderer: EmailRenderer,
        links: EmailLinks,
        subscriptions: SubscriptionCache,
        clock: Clock,
        worker: Waker,
        policy: IntakePolicy,
    ) -> None:
        self._renderer = renderer
        self._links = links
        self._subscriptions = subscriptions
        self._clock = clock
        self._worker = worker
        self._policy = policy

    async def handle(self, event: ReceivedEvent[Any], uow: IntakeUnitOfWork) -> None:
        now = self._clock.now()
        due_now = False
        trigger = TRIGGERS.get(event.envelope.type)
        if trigger is not None:
            drafts = trigger(event.payload, event.event_id)
            notified = await notify(
                uow,
                drafts,
                now,
                renderer=self._renderer,
                links=self._links,
                digest_hour=self._policy.digest_hour,
            )
            due_now = notified.email_due
        await self._project(event.payload, uow)
        due_now |= await self._fan_out_webhooks(event, uow, now)
        if due_now:
            # Before the batch commits: the worker may find nothing yet and then finds
            # the deliveries at its next poll.
            self._worker.notify()

    # -- projections -------------------------------------------------------------------

    async def _project(self, payload: Any, uow: IntakeUnitOfWork) -> None:
        project = _PROJECTIONS.get(type(payload))
        if project is not None:
            await project(self, payload, uow)

    def _reminder_after(self, at: datetime) -> datetime:
        return at + self._policy.reminder_inactivity

    async def _knowledge_started(
        self, payload: learning.KnowledgeStartedV1, uow: IntakeUnitOfWork
    ) -> None:
        at = payload.started_at
        await uow.tracked_work.started(
            payload.learner_id,
            "knowledge",
            payload.item_id,
            title=payload.item_title,
            at=at,
            first_reminder_at=self._reminder_after(at),
            path_id=payload.path_id,
        )
        if payload.path_id:
            await uow.tracked_work.activity(
                payload.learner_id, "path", payload.path_id, at, self._reminder_after(at)
            )

    async def _path_enrolled(self, payload: learning.PathEnrolledV1, uow: IntakeUnitOfWork) -> None:
        at = payload.enrolled_at
        await uow.tracked_work.started(
            payload.learner_id,
            "path",
            payload.path_id,
            title=payload.path_title,
            at=at,
            first_reminder_at=self._reminder_after(at),
        )
        await uow.people.learnt(payload.learner_id, paths=[payload.path_id])

    async def _knowledge_completed(
        self, payload: learning.KnowledgeCompletedV1, uow: IntakeUnitOfWork
    ) -> None:
        learner, at = payload.learner_id, payload.completed_at
        known = await uow.tracked_work.get(learner, "knowledge", payload.item_id)
        await uow.tracked_work.completed(learner, "knowledge", payload.item_id)
        if known is not None and known.path_id:
            await uow.tracked_work.activity(
                learner, "path", known.path_id, at, self._reminder_after(at)
            )
        await uow.people.learnt(
            learner, completed=[payload.item_id], skills=[s.skill_id for s in payload.skills]
        )

    async def _path_completed(
        self, payload: learning.PathCompletedV1, uow: IntakeUnitOfWork
    ) -> None:
        await uow.tracked_work.completed(payload.learner_id, "path", payload.path_id)

    async def _assigned(self, payload: learning.AssignmentCreatedV1, uow: IntakeUnitOfWork) -> None:
        at = payload.assigned_at
        due = payload.due_at
        await uow.tracked_work.assigned(
            payload.learner_id,
            payload.target_kind,
            payload.target_id,
            Assignment(payload.assignment_id, payload.assigned_by, due, payload.compliance),
            title=payload.target_title,
            at=at,
            first_reminder_at=self._reminder_after(at),
            first_alert_at=None if due is None else due - self._policy.due_soon,
        )

    async def _item_published(
        self, payload: catalog.KnowledgePublishedV1, uow: IntakeUnitOfWork
    ) -> None:
        await uow.catalog.item_published(
            payload.item_id,
            payload.title,
            payload.estimated_minutes,
            [s.skill_id for s in payload.skills],
        )

    async def _item_archived(
        self, payload: catalog.KnowledgeArchivedV1, uow: IntakeUnitOfWork
    ) -> None:
        await uow.catalog.item_archived(payload.item_id)

    async def _path_published(
        self, payload: catalog.PathPublishedV1, uow: IntakeUnitOfWork
    ) -> None:
        await uow.catalog.path_published(payload.path_id, [s.item_id for s in payload.steps])

    # -- webhooks ----------------------------------------------------------------------

    async def _fan_out_webhooks(
        self, event: ReceivedEvent[Any], uow: IntakeUnitOfWork, now: datetime
    ) -> bool:
        """One delivery per matching subscription, queued now; whether any is new."""
        payload = event.payload
        if isinstance(payload, NotificationFailedV1) and payload.channel == "webhook":
            return False  # a failing endpoint must not feed itself endless failures
        envelope = event.envelope
        matching = await self._subscriptions.matching(
            event.tenant_id, envelope.type, envelope.subject
        )
        content = WebhookContent(payload.model_dump_json(), envelope.to_headers())
        made: list[tuple[str, datetime]] = []
        for subscription in matching:
            delivery = Delivery(
                id=f"wh:{subscription.subscription_id}:{event.event_id}",
                tenant_id=event.tenant_id,
                channel="webhook",
                state=DeliveryState.PENDING,
                create_time=now,
                recipient_id=subscription.subscription_id,
                subscription_id=subscription.subscription_id,
                notification_id=event.event_id,
                event_type=envelope.type,
                category=envelope.type[:100],
                next_attempt_at=now,
                webhook=content,
            )
            if await uow.deliveries.add_once(delivery):
                made.append((delivery.id, now))
        if made:
            await uow.delivery_queue.enqueue(event.tenant_id, made)
        return bool(made)


_Projection = Callable[[Intake, Any, IntakeUnitOfWork], Any]
_PROJECTIONS: dict[type, _Projection] = {
    learning.KnowledgeStartedV1: Intake._knowledge_started,
    learning.PathEnrolledV1: Intake._path_enrolled,
    learning.KnowledgeCompletedV1: Intake._knowledge_completed,
    learning.PathCompletedV1: Intake._path_completed,
    learning.AssignmentCreatedV1: Intake._assigned,
    catalog.KnowledgePublishedV1: Intake._item_published,
    catalog.KnowledgeArchivedV1: Intake._item_archived,
    catalog.PathPublishedV1: Intake._path_published,
}
