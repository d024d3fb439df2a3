"""Ports the use cases depend on; adapters implement them."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from agora_core.outbox import OutboxHint
from agora_notifications.domain.webhooks import WebhookSecret, WebhookSubscription


class Clock(Protocol):
    """Where "now" comes from; tests inject a controllable one (no sleeping for time)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class SendResult:
    """Outcome of one delivery attempt."""

    ok: bool
    status_code: int = 0
    error: str = ""
    permanent: bool = False
    """Retrying cannot help (e.g. the address is refused): fail now."""
    held_until: datetime | None = None
    """Not attempted (e.g. the webhook subscription is paused): look again then, without
    counting an attempt."""


class ChannelSender(Protocol):
    """Sends one claimed delivery document over its channel."""

    async def send(self, delivery: dict[str, Any], now: datetime) -> SendResult: ...


class Waker(Protocol):
    def notify(self) -> None: ...


class RelayWaker(Protocol):
    """The outbox relay: a hint names the document just written with entries, which the
    relay then claims by ``_id`` instead of scanning the collection."""

    def notify(self, hint: OutboxHint | None = None, /) -> None: ...


class WebhookSubscriptions(Protocol):
    """One tenant's webhook subscriptions and their signing secrets."""

    async def count(self) -> int: ...

    async def add(self, subscription: WebhookSubscription) -> None:
        """Store a new subscription with its secrets."""

    async def get(
        self, subscription_id: str, *, for_update: bool = False
    ) -> WebhookSubscription | None:
        """The subscription with the secrets still signing; ``for_update`` locks it
        until the transaction ends (rotation, update)."""

    async def page(
        self, after: tuple[datetime, str] | None, limit: int
    ) -> list[WebhookSubscription]:
        """Oldest first after the keyset ``(created_at, subscription_id)``, with
        the secrets still signing (their values are not shown by the servicer)."""

    async def routing(self) -> list[WebhookSubscription]:
        """Every subscription of the tenant, without secrets (event matching)."""

    async def save(self, subscription: WebhookSubscription) -> None:
        """Store the subscription's fields (not its secrets)."""

    async def add_secret(self, subscription_id: str, secret: WebhookSecret) -> None: ...

    async def expire_secrets(
        self, subscription_id: str, *, keep: str, at: datetime, now: datetime
    ) -> None:
        """Every secret but ``keep`` stops signing at ``at`` at the latest; those
        already expired at ``now`` are removed."""

    async def delete(self, subscription_id: str) -> bool: ...


class WebhookUnitOfWork(Protocol):
    """One transaction over the webhook subscriptions of one tenant."""

    @property
    def webhook_subscriptions(self) -> WebhookSubscriptions: ...


class WebhookUnitOfWorkFactory(Protocol):
    def __call__(self, tenant_id: str) -> AbstractAsyncContextManager[WebhookUnitOfWork]: ...


class PendingWebhookDeliveries(Protocol):
    """The delivery log's side of a deleted subscription: its pending deliveries end."""

    async def cancel(self, tenant_id: str, subscription_id: str) -> None: ...


class WebhookPinger(Protocol):
    """Sends one signed test delivery to a subscription's endpoint, now."""

    async def ping(
        self, subscription: WebhookSubscription, message_id: str, now: datetime
    ) -> SendResult: ...
