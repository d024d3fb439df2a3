"""Turning notification drafts into inbox entries and email deliveries.

Every write is idempotent: the notification ``_id`` is derived from (tenant, source,
recipient, category) and the email delivery ``_id`` from (notification, channel), so
a redelivered event or a re-run scheduler tick inserts nothing new. The inbox entry
carries its ``notification.delivered`` event in the same document (outbox).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from agora_contracts.events.domains.notifications import NotificationDeliveredV1
from agora_core.messaging.events import OutgoingEvent
from agora_core.outbox import OUTBOX_FIELD, OutboxHint
from agora_core.storage import Document, TenantRepository
from agora_notifications.adapters.collections import DELIVERIES, NOTIFICATIONS
from agora_notifications.adapters.email_rendering import EmailRenderer
from agora_notifications.adapters.profiles import People, Preferences
from agora_notifications.domain import unsubscribe
from agora_notifications.domain.messages import render_text
from agora_notifications.domain.model import (
    Channel,
    DeliveryState,
    DigestMode,
    NotificationDraft,
    delivery_id,
    notification_id,
)
from agora_notifications.domain.preferences import resolve, resolve_quiet_hours
from agora_notifications.domain.schedule import (
    digest_period_key,
    next_digest_time,
    quiet_hours_end,
)
from agora_notifications.service_layer.ports import RelayWaker, Waker

SOURCE = "/agora/notifications"


class Notifier:
    """Creates notifications for drafts, honouring each person's preferences."""

    def __init__(
        self,
        database: AsyncDatabase[Document],
        *,
        people: People,
        preferences: Preferences,
        renderer: EmailRenderer,
        worker: Waker,
        relay: RelayWaker,
        public_base_url: str,
        unsubscribe_secret: str,
        digest_hour: int,
    ) -> None:
        self._notifications = database[NOTIFICATIONS]
        self._deliveries = database[DELIVERIES]
        self._people = people
        self._preferences = preferences
        self._renderer = renderer
        self._worker = worker
        self._relay = relay
        self._public_base_url = public_base_url.rstrip("/")
        self._secret = unsubscribe_secret
        self._digest_hour = digest_hour

    def unsubscribe_url(self, tenant_id: str, person_id: str, category: str) -> str:
        token = unsubscribe.sign(
            unsubscribe.UnsubscribeRequest(tenant_id, person_id, category), self._secret
        )
        return f"{self._public_base_url}/unsubscribe?token={quote(token)}"

    async def notify(
        self, tenant_id: str, drafts: Sequence[NotificationDraft], now: datetime
    ) -> list[str]:
        """Store and schedule every draft; returns the ids of notifications created."""
        created: list[str] = []
        emails = False
        for draft in drafts:
            made, emailed = await self._notify_one(tenant_id, draft, now)
            emails |= emailed
            if made:
                created.append(
                    notification_id(tenant_id, draft.source_key, draft.recipient_id, draft.category)
                )
        # The relay claims each new notification by _id (a hint, no collection scan);
        # the worker is woken only when there is an email to send.
        for nid in created:
            self._relay.notify(OutboxHint(NOTIFICATIONS, nid))
        if emails:
            self._worker.notify()
        return created

    async def _notify_one(
        self, tenant_id: str, draft: NotificationDraft, now: datetime
    ) -> tuple[bool, bool]:
        """(something new was stored, an email is due now)."""
        profile = await self._people.profile(tenant_id, draft.recipient_id)
        tenant, space, person = await self._preferences.layers(
            tenant_id, draft.space_id, draft.recipient_id
        )
        inbox = resolve(draft.category, Channel.INBOX, tenant=tenant, space=space, person=person)
        email = resolve(draft.category, Channel.EMAIL, tenant=tenant, space=space, person=person)
        nid = notification_id(tenant_id, draft.source_key, draft.recipient_id, draft.category)
        text = render_text(
            draft.category, draft.params, profile.locale, time_zone=profile.time_zone
        )
        made = False
        emailed = False
        if inbox.enabled:
            event = OutgoingEvent.create(
                NotificationDeliveredV1(
                    notification_id=nid,
                    recipient_id=draft.recipient_id,
                    category=draft.category.value,
                    channel="inbox",
                    source_event_id=draft.source_event_id,
                    delivered_at=now,
                ),
                source=SOURCE,
                subject=nid,
                tenant_id=tenant_id,
                key=draft.recipient_id,
                time=now,
            )
            made |= await _insert_once(
                TenantRepository(self._notifications, tenant_id),
                {
                    "_id": nid,
                    "recipient_id": draft.recipient_id,
                    "category": draft.category.value,
                    "title": text.title,
                    "body": text.body,
                    "subject_id": draft.subject_id,
                    "space_id": draft.space_id,
                    "source_event_id": draft.source_event_id,
                    "created_at": now,
                    "read": False,
                    OUTBOX_FIELD: [event.to_document()],
                },
            )
        if email.enabled and profile.email:
            url = self.unsubscribe_url(tenant_id, draft.recipient_id, draft.category.value)
            rendered = self._renderer.single(text, profile.locale, url)
            document: dict[str, Any] = {
                "_id": delivery_id(nid, Channel.EMAIL.value),
                "channel": Channel.EMAIL.value,
                "recipient_id": draft.recipient_id,
                "notification_id": nid,
                "category": draft.category.value,
                "source_event_id": draft.source_event_id,
                "attempts": 0,
                "log": [],
                "created_at": now,
                "title": text.title,
                "body": text.body,
                "email": {
                    "to": profile.email,
                    "subject": rendered.subject,
                    "text": rendered.text,
                    "html": rendered.html,
                    "unsubscribe_url": url,
                },
            }
            if email.digest is DigestMode.IMMEDIATE:
                quiet = resolve_quiet_hours(tenant=tenant, space=space, person=person)
                document["state"] = DeliveryState.PENDING.value
                document["next_attempt_at"] = quiet_hours_end(now, quiet, profile.time_zone) or now
            else:
                send_at = next_digest_time(now, email.digest, profile.time_zone, self._digest_hour)
                document["state"] = DeliveryState.HELD.value
                document["digest"] = {
                    "mode": email.digest.value,
                    "send_at": send_at,
                    "key": digest_period_key(send_at, email.digest),
                }
            inserted = await _insert_once(TenantRepository(self._deliveries, tenant_id), document)
            made |= inserted
            emailed = inserted and document["state"] == DeliveryState.PENDING.value
        return made, emailed


async def _insert_once(repository: TenantRepository, document: dict[str, Any]) -> bool:
    """Insert; a document with the same deterministic id already there is a no-op."""
    try:
        await repository.insert_one(document)
    except DuplicateKeyError:
        return False
    return True
