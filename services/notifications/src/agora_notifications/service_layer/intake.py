"""What the service does with each platform event it consumes.

Three idempotent effects per event: notifications for the people it concerns
(:mod:`domain.triggers`), projections kept for reminders and nudges (work started,
assignments, paths and short items), and one webhook delivery per matching
subscription of the tenant.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from agora_contracts.events.domains import catalog, learning
from agora_contracts.events.domains.notifications import NotificationFailedV1
from agora_core.messaging.events import ReceivedEvent
from agora_core.storage import Document, TenantRepository
from agora_notifications.adapters.collections import (
    CATALOG_ITEMS,
    CATALOG_PATHS,
    DELIVERIES,
    TRACKED,
)
from agora_notifications.adapters.profiles import People
from agora_notifications.domain.model import DeliveryState
from agora_notifications.domain.triggers import TRIGGERS
from agora_notifications.service_layer.notifier import Notifier
from agora_notifications.service_layer.ports import Clock, Waker
from agora_notifications.service_layer.webhook_routing import SubscriptionCache


def tracked_key(tenant_id: str, learner_id: str, kind: str, target_id: str) -> str:
    return f"{tenant_id}:{learner_id}:{kind}:{target_id}"


class EventIntake:
    """Applies one consumed event; every effect is safe to apply twice."""

    def __init__(
        self,
        database: AsyncDatabase[Document],
        *,
        notifier: Notifier,
        people: People,
        subscriptions: SubscriptionCache,
        clock: Clock,
        worker: Waker,
        reminder_inactivity: timedelta,
    ) -> None:
        self._deliveries = database[DELIVERIES]
        self._tracked = database[TRACKED]
        self._items = database[CATALOG_ITEMS]
        self._paths = database[CATALOG_PATHS]
        self._notifier = notifier
        self._people = people
        self._subscriptions = subscriptions
        self._clock = clock
        self._worker = worker
        self._inactivity = reminder_inactivity

    async def handle(self, event: ReceivedEvent[Any]) -> None:
        now = self._clock.now()
        trigger = TRIGGERS.get(event.envelope.type)
        if trigger is not None:
            drafts = trigger(event.payload, event.event_id)
            await self._notifier.notify(event.tenant_id, drafts, now)
        await self._project(event)
        await self._fan_out_webhooks(event, now)

    # -- projections -------------------------------------------------------------------

    async def _project(self, event: ReceivedEvent[Any]) -> None:
        payload = event.payload
        tenant = event.tenant_id
        if isinstance(payload, learning.KnowledgeStartedV1):
            await self._started(
                tenant,
                payload.learner_id,
                "knowledge",
                payload.item_id,
                payload.item_title,
                payload.started_at,
                payload.path_id,
            )
            if payload.path_id:
                await self._activity(
                    tenant, payload.learner_id, "path", payload.path_id, payload.started_at
                )
        elif isinstance(payload, learning.PathEnrolledV1):
            await self._started(
                tenant,
                payload.learner_id,
                "path",
                payload.path_id,
                payload.path_title,
                payload.enrolled_at,
                None,
            )
            await self._people.learnt(
                tenant, payload.learner_id, {"$addToSet": {"paths": payload.path_id}}
            )
        elif isinstance(payload, learning.KnowledgeCompletedV1):
            await self._completed(tenant, payload.learner_id, "knowledge", payload.item_id)
            known = await TenantRepository(self._tracked, tenant).find_one(
                {"_id": tracked_key(tenant, payload.learner_id, "knowledge", payload.item_id)}
            )
            if known is not None and known.get("path_id"):
                await self._activity(
                    tenant, payload.learner_id, "path", known["path_id"], payload.completed_at
                )
            await self._people.learnt(
                tenant,
                payload.learner_id,
                {
                    "$addToSet": {
                        "completed": payload.item_id,
                        "skills": {"$each": [s.skill_id for s in payload.skills]},
                    }
                },
            )
        elif isinstance(payload, learning.PathCompletedV1):
            await self._completed(tenant, payload.learner_id, "path", payload.path_id)
        elif isinstance(payload, learning.AssignmentCreatedV1):
            await self._assigned(tenant, payload)
        elif isinstance(payload, catalog.KnowledgePublishedV1):
            await TenantRepository(self._items, tenant).update_one(
                {"_id": f"{tenant}:{payload.item_id}"},
                {
                    "$set": {
                        "item_id": payload.item_id,
                        "title": payload.title,
                        "estimated_minutes": payload.estimated_minutes,
                        "skills": [s.skill_id for s in payload.skills],
                        "archived": False,
                    }
                },
                upsert=True,
            )
        elif isinstance(payload, catalog.KnowledgeArchivedV1):
            await TenantRepository(self._items, tenant).update_one(
                {"_id": f"{tenant}:{payload.item_id}"}, {"$set": {"archived": True}}
            )
        elif isinstance(payload, catalog.PathPublishedV1):
            await TenantRepository(self._paths, tenant).update_one(
                {"_id": f"{tenant}:{payload.path_id}"},
                {
                    "$set": {
                        "path_id": payload.path_id,
                        "title": payload.title,
                        "steps": [
                            {"item_id": s.item_id, "estimated_minutes": s.estimated_minutes}
                            for s in payload.steps
                        ],
                    }
                },
                upsert=True,
            )

    async def _started(
        self,
        tenant: str,
        learner: str,
        kind: str,
        target: str,
        title: str,
        at: datetime,
        path_id: str | None,
    ) -> None:
        await TenantRepository(self._tracked, tenant).update_one(
            {"_id": tracked_key(tenant, learner, kind, target)},
            {
                "$setOnInsert": {
                    "learner_id": learner,
                    "kind": kind,
                    "target_id": target,
                    "completed": False,
                    "reminders_sent": 0,
                    "next_reminder_at": at + self._inactivity,
                    "last_activity_at": at,
                    "stalled": False,
                },
                "$set": {"title": title, **({"path_id": path_id} if path_id else {})},
            },
            upsert=True,
        )

    async def _activity(
        self, tenant: str, learner: str, kind: str, target: str, at: datetime
    ) -> None:
        """Activity restarts the inactivity clock (and the reminder series)."""
        await TenantRepository(self._tracked, tenant).update_one(
            {
                "_id": tracked_key(tenant, learner, kind, target),
                "completed": False,
                "last_activity_at": {"$lt": at},
            },
            {
                "$set": {
                    "last_activity_at": at,
                    "next_reminder_at": at + self._inactivity,
                    "reminders_sent": 0,
                }
            },
        )

    async def _completed(self, tenant: str, learner: str, kind: str, target: str) -> None:
        await TenantRepository(self._tracked, tenant).update_one(
            {"_id": tracked_key(tenant, learner, kind, target)},
            {
                "$set": {"completed": True, "next_reminder_at": None},
                "$setOnInsert": {"learner_id": learner, "kind": kind, "target_id": target},
            },
            upsert=True,
        )

    async def _assigned(self, tenant: str, payload: learning.AssignmentCreatedV1) -> None:
        await TenantRepository(self._tracked, tenant).update_one(
            {
                "_id": tracked_key(
                    tenant, payload.learner_id, payload.target_kind, payload.target_id
                )
            },
            {
                "$setOnInsert": {
                    "learner_id": payload.learner_id,
                    "kind": payload.target_kind,
                    "target_id": payload.target_id,
                    "completed": False,
                    "reminders_sent": 0,
                    "next_reminder_at": payload.assigned_at + self._inactivity,
                    "last_activity_at": payload.assigned_at,
                    "stalled": False,
                },
                "$set": {
                    "title": payload.target_title,
                    "assignment": {
                        "assignment_id": payload.assignment_id,
                        "assigned_by": payload.assigned_by,
                        "due_at": payload.due_at,
                        "compliance": payload.compliance,
                        "due_soon_sent": False,
                        "overdue_sent": False,
                    },
                },
            },
            upsert=True,
        )

    # -- webhooks ----------------------------------------------------------------------

    async def _fan_out_webhooks(self, event: ReceivedEvent[Any], now: datetime) -> None:
        payload = event.payload
        if isinstance(payload, NotificationFailedV1) and payload.channel == "webhook":
            return  # a failing endpoint must not feed itself an endless chain of failures
        envelope = event.envelope
        subscriptions = await self._subscriptions.matching(
            event.tenant_id, envelope.type, envelope.subject
        )
        made = False
        for subscription in subscriptions:
            subscription_id = subscription.subscription_id
            try:
                await TenantRepository(self._deliveries, event.tenant_id).insert_one(
                    {
                        "_id": f"wh:{subscription_id}:{event.event_id}",
                        "channel": "webhook",
                        "state": DeliveryState.PENDING.value,
                        "next_attempt_at": now,
                        "recipient_id": subscription_id,
                        "subscription_id": subscription_id,
                        "notification_id": event.event_id,
                        "event_type": envelope.type,
                        "category": envelope.type[:100],
                        "attempts": 0,
                        "log": [],
                        "created_at": now,
                        "webhook": {
                            "headers": envelope.to_headers(),
                            "body": payload.model_dump_json(),
                        },
                    }
                )
                made = True
            except DuplicateKeyError:
                continue
        if made:
            self._worker.notify()
