"""A person's held email sent as digests: one digest email per digest period (the
held entries' key), queued now; the held entries marked digested with its id. The
digest's id is derived from (tenant, person, period), so a re-run adds nothing."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime

from agora_notifications.adapters.email_rendering import EmailRenderer
from agora_notifications.domain.deliveries import Delivery, EmailContent, HeldDigest
from agora_notifications.domain.messages import Text
from agora_notifications.domain.model import WILDCARD, DeliveryState
from agora_notifications.service_layer.notify import EmailLinks
from agora_notifications.service_layer.schedule_ports import SchedulerUnitOfWork


async def send_digests(
    uow: SchedulerUnitOfWork,
    person: str,
    now: datetime,
    *,
    renderer: EmailRenderer,
    links: EmailLinks,
) -> int:
    """The person's digests due by ``now``; how many were made. Without an email
    address the held entries wait (for a later digest, once the person has one)."""
    tenant = uow.tenant_id
    profile = await uow.people.profile(person)
    if not profile.email:
        return 0
    groups: dict[str, list[tuple[str, HeldDigest]]] = defaultdict(list)
    for delivery in await uow.deliveries.held_until(person, now):
        if delivery.digest is not None:
            groups[delivery.digest.key].append((delivery.id, delivery.digest))
    url = links.unsubscribe_url(tenant, person, WILDCARD)
    for key, entries in sorted(groups.items()):
        first = entries[0][1]
        rendered = renderer.digest(
            [Text(held.title, held.body) for _, held in entries],
            profile.locale,
            url,
            mode=first.mode,
            send_at=first.send_at,
            time_zone=profile.time_zone,
        )
        digest_id = f"digest:{hashlib.sha256(f'{tenant}:{person}:{key}'.encode()).hexdigest()[:32]}"
        digest = Delivery(
            id=digest_id,
            tenant_id=tenant,
            channel="email",
            state=DeliveryState.PENDING,
            create_time=now,
            recipient_id=person,
            notification_id=digest_id,
            category="digest",
            next_attempt_at=now,
            email=EmailContent(profile.email, rendered.subject, rendered.text, rendered.html, url),
        )
        if await uow.deliveries.add_once(digest):
            await uow.delivery_queue.enqueue(tenant, [(digest_id, now)])
        await uow.deliveries.mark_digested([delivery_id for delivery_id, _ in entries], digest_id)
    return len(groups)
