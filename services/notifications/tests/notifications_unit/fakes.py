"""In-memory fakes of the notifications ports (unit tests only: no I/O). Each keeps
rows per tenant, so tenant isolation is the fakes' as well as the real adapters'."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from agora_core.messaging.events import OutgoingEvent
from agora_core.testing.request_ids import InMemoryRequestIds
from agora_notifications.domain.deliveries import Attempt, Delivery
from agora_notifications.domain.delivery_queue import DeliveryClaim
from agora_notifications.domain.inbox import InboxPosition, Notification
from agora_notifications.domain.model import DeliveryState, Profile
from agora_notifications.domain.preferences import PreferenceLayer
from agora_notifications.domain.webhooks import WebhookSubscription

from .webhook_fakes import FakeWebhookSubscriptions

Layers = tuple[PreferenceLayer | None, PreferenceLayer | None, PreferenceLayer | None]


class FakeInbox:
    def __init__(self, rows: dict[str, Notification]) -> None:
        self.rows = rows

    async def add_once(self, notification: Notification) -> bool:
        if notification.notification_id in self.rows:
            return False
        self.rows[notification.notification_id] = notification
        return True

    async def by_id(self, notification_id: str) -> Notification | None:
        return self.rows.get(notification_id)

    async def page(
        self,
        recipient_id: str,
        *,
        after: InboxPosition | None,
        limit: int,
        unread_only: bool = False,
    ) -> list[Notification]:
        mine = [
            n
            for n in self.rows.values()
            if n.recipient_id == recipient_id and not (unread_only and n.read)
        ]
        mine.sort(key=lambda n: (n.create_time, n.notification_id), reverse=True)
        if after is not None:
            mine = [
                n
                for n in mine
                if (n.create_time, n.notification_id) < (after.create_time, after.notification_id)
            ]
        return mine[:limit]

    async def unread_count(self, recipient_id: str) -> int:
        return sum(1 for n in self.rows.values() if n.recipient_id == recipient_id and not n.read)

    async def mark_read(self, recipient_id: str, ids: Sequence[str], now: datetime) -> int:
        changed = 0
        for nid in set(ids):
            n = self.rows.get(nid)
            if n is not None and n.recipient_id == recipient_id and not n.read:
                self.rows[nid] = dataclasses.replace(n, read_time=now)
                changed += 1
        return changed

    async def mark_all_read(self, recipient_id: str, now: datetime) -> int:
        mine = [n.notification_id for n in self.rows.values() if n.recipient_id == recipient_id]
        return await self.mark_read(recipient_id, mine, now)


class FakePeople:
    def __init__(self, rows: dict[str, Profile]) -> None:
        self.rows = rows

    async def profile(self, person_id: str) -> Profile:
        return self.rows.get(person_id, Profile(person_id=person_id))

    async def save_profile(self, profile: Profile, now: datetime) -> None:
        self.rows[profile.person_id] = profile


class FakePreferences:
    def __init__(self, rows: dict[tuple[str, str], PreferenceLayer]) -> None:
        self.rows = rows

    async def get(self, scope: str, scope_id: str) -> PreferenceLayer | None:
        return self.rows.get((scope, scope_id))

    async def put(self, scope: str, scope_id: str, layer: PreferenceLayer, now: datetime) -> None:
        self.rows[(scope, scope_id)] = layer

    async def layers(self, space_id: str | None, person_id: str) -> Layers:
        space = self.rows.get(("space", space_id)) if space_id else None
        return self.rows.get(("tenant", "")), space, self.rows.get(("person", person_id))


class FakeDeliveries:
    def __init__(self, rows: dict[str, Delivery]) -> None:
        self.rows = rows

    async def add_once(self, delivery: Delivery) -> bool:
        if delivery.id in self.rows:
            return False
        self.rows[delivery.id] = delivery
        return True

    async def get(self, delivery_id: str) -> Delivery | None:
        return self.rows.get(delivery_id)

    async def page(
        self,
        *,
        subscription_id: str = "",
        recipient_id: str = "",
        channel: str = "",
        state: DeliveryState | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int,
    ) -> list[Delivery]:
        found = [
            d
            for d in self.rows.values()
            if (not subscription_id or d.subscription_id == subscription_id)
            and (not recipient_id or d.recipient_id == recipient_id)
            and (not channel or d.channel == channel)
            and (state is None or d.state is state)
            and (after is None or (d.create_time, d.id) < after)
        ]
        found.sort(key=lambda d: (d.create_time, d.id), reverse=True)
        return found[:limit]

    async def retry(self, delivery_id: str, now: datetime) -> Delivery | None:
        d = self.rows.get(delivery_id)
        if d is None or d.state is not DeliveryState.FAILED:
            return None
        retried = dataclasses.replace(
            d, state=DeliveryState.PENDING, attempts=0, next_attempt_at=now
        )
        self.rows[delivery_id] = retried
        return retried

    async def cancel_pending_of_subscription(self, subscription_id: str) -> list[str]:
        ids = [
            d.id
            for d in self.rows.values()
            if d.subscription_id == subscription_id and d.state is DeliveryState.PENDING
        ]
        for delivery_id in ids:
            self.rows[delivery_id] = dataclasses.replace(
                self.rows[delivery_id], state=DeliveryState.CANCELLED
            )
        return ids

    async def hold(self, delivery_id: str, until: datetime) -> None:
        d = self.rows[delivery_id]
        self.rows[delivery_id] = dataclasses.replace(d, next_attempt_at=until)

    async def record_attempt(
        self,
        delivery_id: str,
        attempt: Attempt,
        *,
        attempts: int,
        state: DeliveryState,
        next_attempt_at: datetime | None,
    ) -> None:
        d = self.rows[delivery_id]
        self.rows[delivery_id] = dataclasses.replace(
            d,
            attempts=attempts,
            state=state,
            next_attempt_at=next_attempt_at,
            last_error=attempt.error,
            log=(*d.log, attempt),
        )


class FakeDeliveryQueue:
    """Due times and lease owners by (tenant, delivery id)."""

    def __init__(self) -> None:
        self.due: dict[tuple[str, str], datetime] = {}
        self.owner: dict[tuple[str, str], object] = {}
        self.digests: dict[tuple[str, str], datetime] = {}

    async def enqueue(self, tenant_id: str, due: Sequence[tuple[str, datetime]]) -> None:
        for delivery_id, at in due:
            self.due[(tenant_id, delivery_id)] = at
            self.owner.pop((tenant_id, delivery_id), None)

    async def release(self, claim: DeliveryClaim) -> bool:
        key = (claim.tenant_id, claim.delivery_id)
        if self.owner.get(key) != claim.lease_owner:
            return False
        del self.due[key], self.owner[key]
        return True

    async def reschedule(self, claim: DeliveryClaim, due_at: datetime) -> bool:
        key = (claim.tenant_id, claim.delivery_id)
        if self.owner.get(key) != claim.lease_owner:
            return False
        self.due[key] = due_at
        del self.owner[key]
        return True

    async def remove(self, tenant_id: str, delivery_ids: Sequence[str]) -> None:
        for delivery_id in delivery_ids:
            self.due.pop((tenant_id, delivery_id), None)
            self.owner.pop((tenant_id, delivery_id), None)

    async def hold_for_digest(self, tenant_id: str, recipient_id: str, send_at: datetime) -> None:
        key = (tenant_id, recipient_id)
        self.digests[key] = min(send_at, self.digests.get(key, send_at))


class FakeUnitOfWork:
    def __init__(self, store: FakeStore, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.inbox = FakeInbox(store.inboxes.setdefault(tenant_id, {}))
        self.people = FakePeople(store.people.setdefault(tenant_id, {}))
        self.preferences = FakePreferences(store.preferences.setdefault(tenant_id, {}))
        self.deliveries = FakeDeliveries(store.deliveries.setdefault(tenant_id, {}))
        self.delivery_queue = store.queue
        self.webhook_subscriptions = FakeWebhookSubscriptions(
            store.webhook_subscriptions.setdefault(tenant_id, {})
        )
        self.request_ids = InMemoryRequestIds(store.request_ids.setdefault(tenant_id, {}))
        self._store = store

    def add_events(self, events: Sequence[OutgoingEvent]) -> None:
        self._store.events.extend(events)


class FakeStore:
    """Every tenant's rows, and a unit-of-work factory over them (no rollback: the use
    cases under unit test do not rely on one)."""

    def __init__(self) -> None:
        self.inboxes: dict[str, dict[str, Notification]] = {}
        self.people: dict[str, dict[str, Profile]] = {}
        self.preferences: dict[str, dict[tuple[str, str], PreferenceLayer]] = {}
        self.deliveries: dict[str, dict[str, Delivery]] = {}
        self.webhook_subscriptions: dict[str, dict[str, WebhookSubscription]] = {}
        self.request_ids: dict[str, dict[tuple[str, str], tuple[str, str]]] = {}
        self.queue = FakeDeliveryQueue()
        self.events: list[OutgoingEvent] = []

    @asynccontextmanager
    async def __call__(self, tenant_id: str) -> AsyncIterator[FakeUnitOfWork]:
        yield FakeUnitOfWork(self, tenant_id)


class FakeClaims:
    """Leases due deliveries from the store's queue, earliest first (one process: no
    concurrency to skip)."""

    def __init__(self, store: FakeStore) -> None:
        self._queue = store.queue

    async def claim(
        self, now: datetime, *, limit: int, lease: timedelta, owner: uuid.UUID
    ) -> list[DeliveryClaim]:
        due = sorted((at, key) for key, at in self._queue.due.items() if at <= now)[:limit]
        claims = []
        for _, key in due:
            self._queue.due[key] = now + lease
            self._queue.owner[key] = owner
            claims.append(DeliveryClaim(key[0], key[1], owner))
        return claims
