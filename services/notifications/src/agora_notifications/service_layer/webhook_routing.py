"""Which webhook subscriptions an event goes to, without a database read per event."""

from __future__ import annotations

import time

from agora_notifications.domain.webhooks import WebhookSubscription
from agora_notifications.service_layer.ports import UnitOfWorkFactory


class SubscriptionCache:
    """Each tenant's webhook subscriptions (without secrets), re-read through the
    subscription repository at most every ``ttl`` seconds.

    Every event of the platform is matched against them, so they are not read from the
    database per event; a change made in this process invalidates at once, one made by
    another replica is seen within ``ttl``. Paused subscriptions are included: what
    they match is held (see the sender), not dropped.
    """

    def __init__(self, uow: UnitOfWorkFactory, ttl: float) -> None:
        self._uow = uow
        self._ttl = ttl
        self._entries: dict[str, tuple[float, list[WebhookSubscription]]] = {}

    def invalidate(self, tenant_id: str) -> None:
        self._entries.pop(tenant_id, None)

    async def of(self, tenant_id: str) -> list[WebhookSubscription]:
        cached = self._entries.get(tenant_id)
        if cached is not None and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        async with self._uow(tenant_id) as uow:
            subscriptions = await uow.webhook_subscriptions.routing()
        self._entries[tenant_id] = (time.monotonic(), subscriptions)
        return subscriptions

    async def matching(
        self, tenant_id: str, event_type: str, subject: str
    ) -> list[WebhookSubscription]:
        """The tenant's subscriptions that receive this event."""
        return [s for s in await self.of(tenant_id) if s.receives(event_type, subject)]
