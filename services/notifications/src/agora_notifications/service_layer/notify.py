"""Turning notification drafts into inbox entries and email deliveries, in the caller's
unit of work (the consumer's batch transaction, or a scheduler claim's).

Every write is idempotent: the notification id is derived from (tenant, source,
recipient, category) and the email delivery id from (notification, channel), so a
redelivered event or a re-run scheduler slot inserts nothing new and publishes nothing
twice. A new inbox entry's ``notification.delivered`` goes to the outbox in the same
transaction; a new immediate email is queued (due after quiet hours), a digest email is
held and its recipient's digest slot set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from agora_contracts.events.domains.notifications import NotificationDeliveredV1
from agora_core.messaging.events import OutgoingEvent
from agora_notifications.adapters.email_rendering import EmailRenderer
from agora_notifications.domain import unsubscribe
from agora_notifications.domain.deliveries import Delivery, EmailContent, HeldDigest
from agora_notifications.domain.inbox import Notification
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
from agora_notifications.service_layer.delivery_events import SOURCE
from agora_notifications.service_layer.ports import UnitOfWork


@dataclass(frozen=True)
class EmailLinks:
    """How unsubscribe links are made (the public endpoint and its signing key)."""

    public_base_url: str
    secret: str

    def unsubscribe_url(self, tenant_id: str, person_id: str, category: str) -> str:
        token = unsubscribe.sign(
            unsubscribe.UnsubscribeRequest(tenant_id, person_id, category), self.secret
        )
        return f"{self.public_base_url.rstrip('/')}/unsubscribe?token={quote(token)}"


@dataclass
class Notified:
    """What one call stored: the new notifications' ids, and whether an email is due now
    (the delivery worker is worth waking after the commit)."""

    created: list[str] = field(default_factory=list)
    email_due: bool = False


async def notify(
    uow: UnitOfWork,
    drafts: Sequence[NotificationDraft],
    now: datetime,
    *,
    renderer: EmailRenderer,
    links: EmailLinks,
    digest_hour: int,
) -> Notified:
    """Store and schedule every draft of ``uow``'s tenant, honouring preferences."""
    done = Notified()
    for draft in drafts:
        nid = notification_id(uow.tenant_id, draft.source_key, draft.recipient_id, draft.category)
        made = await _notify_one(uow, draft, nid, now, renderer, links, digest_hour, done)
        if made:
            done.created.append(nid)
    return done


async def _notify_one(
    uow: UnitOfWork,
    draft: NotificationDraft,
    nid: str,
    now: datetime,
    renderer: EmailRenderer,
    links: EmailLinks,
    digest_hour: int,
    done: Notified,
) -> bool:
    tenant_id = uow.tenant_id
    profile = await uow.people.profile(draft.recipient_id)
    tenant, space, person = await uow.preferences.layers(draft.space_id, draft.recipient_id)
    inbox = resolve(draft.category, Channel.INBOX, tenant=tenant, space=space, person=person)
    email = resolve(draft.category, Channel.EMAIL, tenant=tenant, space=space, person=person)
    text = render_text(draft.category, draft.params, profile.locale, time_zone=profile.time_zone)
    made = False
    if inbox.enabled:
        entry = Notification(
            notification_id=nid,
            recipient_id=draft.recipient_id,
            category=draft.category.value,
            title=text.title,
            body=text.body,
            create_time=now,
            subject_id=draft.subject_id,
            space_id=draft.space_id,
            source_event_id=draft.source_event_id,
        )
        if await uow.inbox.add_once(entry):
            made = True
            uow.add_events([_delivered(tenant_id, draft, nid, now)])
    if not (email.enabled and profile.email):
        return made
    url = links.unsubscribe_url(tenant_id, draft.recipient_id, draft.category.value)
    rendered = renderer.single(text, profile.locale, url)
    held: HeldDigest | None = None
    due: datetime | None = None
    if email.digest is DigestMode.IMMEDIATE:
        quiet = resolve_quiet_hours(tenant=tenant, space=space, person=person)
        due = quiet_hours_end(now, quiet, profile.time_zone) or now
    else:
        send_at = next_digest_time(now, email.digest, profile.time_zone, digest_hour)
        held = HeldDigest(
            email.digest,
            send_at,
            digest_period_key(send_at, email.digest),
            title=text.title,
            body=text.body,
        )
    delivery = Delivery(
        id=delivery_id(nid, Channel.EMAIL.value),
        tenant_id=tenant_id,
        channel=Channel.EMAIL.value,
        state=DeliveryState.PENDING if held is None else DeliveryState.HELD,
        create_time=now,
        recipient_id=draft.recipient_id,
        notification_id=nid,
        category=draft.category.value,
        source_event_id=draft.source_event_id,
        next_attempt_at=due,
        email=EmailContent(profile.email, rendered.subject, rendered.text, rendered.html, url),
        digest=held,
    )
    if not await uow.deliveries.add_once(delivery):
        return made
    if due is not None:
        await uow.delivery_queue.enqueue(tenant_id, [(delivery.id, due)])
        done.email_due |= due <= now
    elif held is not None:
        await uow.delivery_queue.hold_for_digest(tenant_id, draft.recipient_id, held.send_at)
    return True


def _delivered(tenant_id: str, draft: NotificationDraft, nid: str, now: datetime) -> OutgoingEvent:
    return OutgoingEvent.create(
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
