"""In-memory fakes of the webhook ports (unit tests only: no I/O); the subscriptions
repository is bound in :class:`fakes.FakeUnitOfWork`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from agora_notifications.domain.webhooks import UrlRefused, WebhookSecret, WebhookSubscription
from agora_notifications.service_layer.ports import SendResult


class FakeWebhookSubscriptions:
    """One tenant's subscriptions in a dict shared by every unit of work of the tenant."""

    def __init__(self, rows: dict[str, WebhookSubscription]) -> None:
        self._rows = rows

    async def count(self) -> int:
        return len(self._rows)

    async def add(self, subscription: WebhookSubscription) -> None:
        self._rows[subscription.subscription_id] = subscription

    async def get(
        self, subscription_id: str, *, for_update: bool = False
    ) -> WebhookSubscription | None:
        return self._rows.get(subscription_id)

    async def page(
        self, after: tuple[datetime, str] | None, limit: int
    ) -> list[WebhookSubscription]:
        ordered = sorted(self._rows.values(), key=lambda s: (s.created_at, s.subscription_id))
        if after is not None:
            ordered = [s for s in ordered if (s.created_at, s.subscription_id) > after]
        return ordered[:limit]

    async def routing(self) -> list[WebhookSubscription]:
        return [replace(s, secrets=()) for s in self._rows.values()]

    async def save(self, subscription: WebhookSubscription) -> None:
        stored = self._rows[subscription.subscription_id]
        self._rows[subscription.subscription_id] = replace(subscription, secrets=stored.secrets)

    async def add_secret(self, subscription_id: str, secret: WebhookSecret) -> None:
        stored = self._rows[subscription_id]
        self._rows[subscription_id] = replace(stored, secrets=(*stored.secrets, secret))

    async def expire_secrets(
        self, subscription_id: str, *, keep: str, at: datetime, now: datetime
    ) -> None:
        stored = self._rows[subscription_id]
        kept = []
        for secret in stored.secrets:
            if secret.secret_id == keep:
                kept.append(secret)
            elif secret.expires_at is None or secret.expires_at > at:
                kept.append(replace(secret, expires_at=at))
            elif secret.expires_at > now:  # already ending before ``at``: unchanged
                kept.append(secret)
        self._rows[subscription_id] = replace(stored, secrets=tuple(kept))

    async def delete(self, subscription_id: str) -> bool:
        return self._rows.pop(subscription_id, None) is not None


class FakeGuard:
    """Refuses URLs whose host is listed."""

    def __init__(self, refused_hosts: frozenset[str] = frozenset()) -> None:
        self._refused = refused_hosts

    async def check(self, url: str) -> None:
        if any(host in url for host in self._refused):
            raise UrlRefused("the host resolves to a forbidden address range (10.0.0.1)")


@dataclass
class FakeCache:
    invalidated: list[str] = field(default_factory=list)

    def invalidate(self, tenant_id: str) -> None:
        self.invalidated.append(tenant_id)


@dataclass
class FakePinger:
    answer: SendResult = field(default_factory=lambda: SendResult(ok=True, status_code=204))
    pinged: list[tuple[str, str]] = field(default_factory=list)

    async def ping(
        self, subscription: WebhookSubscription, message_id: str, now: datetime
    ) -> SendResult:
        self.pinged.append((subscription.subscription_id, message_id))
        return self.answer
