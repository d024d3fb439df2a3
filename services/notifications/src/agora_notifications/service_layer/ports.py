"""Ports the use cases depend on; adapters implement them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from agora_core.idempotency import RequestIds
from agora_core.messaging.events import OutgoingEvent
from agora_notifications.domain.deliveries import Attempt, Delivery
from agora_notifications.domain.delivery_queue import DeliveryClaim
from agora_notifications.domain.inbox import InboxPosition, Notification
from agora_notifications.domain.model import DeliveryState, Profile
from agora_notifications.domain.preferences import PreferenceLayer
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
    """Sends one claimed delivery over its channel."""

    async def send(self, delivery: Delivery, now: datetime) -> SendResult: ...


class Waker(Protocol):
    def notify(self) -> None: ...


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


class WebhookPinger(Protocol):
    """Sends one signed test delivery to a subscription's endpoint, now."""

    async def ping(
        self, subscription: WebhookSubscription, message_id: str, now: datetime
    ) -> SendResult: ...


class InboxRepository(Protocol):
    """One tenant's inboxes."""

    async def add_once(self, notification: Notification) -> bool: ...

    async def by_id(self, notification_id: str) -> Notification | None: ...

    async def page(
        self,
        recipient_id: str,
        *,
        after: InboxPosition | None,
        limit: int,
        unread_only: bool = False,
    ) -> list[Notification]: ...

    async def unread_count(self, recipient_id: str) -> int: ...

    async def mark_read(self, recipient_id: str, ids: Sequence[str], now: datetime) -> int: ...

    async def mark_all_read(self, recipient_id: str, now: datetime) -> int: ...


class PeopleRepository(Protocol):
    """One tenant's people: delivery profiles (and their nudge slots)."""

    async def profile(self, person_id: str) -> Profile: ...

    async def save_profile(self, profile: Profile, now: datetime) -> None: ...


class PreferenceRepository(Protocol):
    """One tenant's preference layers."""

    async def get(self, scope: str, scope_id: str) -> PreferenceLayer | None: ...

    async def put(
        self, scope: str, scope_id: str, layer: PreferenceLayer, now: datetime
    ) -> None: ...

    async def layers(
        self, space_id: str | None, person_id: str
    ) -> tuple[PreferenceLayer | None, PreferenceLayer | None, PreferenceLayer | None]: ...


class DeliveryRepository(Protocol):
    """One tenant's deliveries (the delivery log)."""

    async def add_once(self, delivery: Delivery) -> bool: ...

    async def get(self, delivery_id: str) -> Delivery | None: ...

    async def page(
        self,
        *,
        subscription_id: str = "",
        recipient_id: str = "",
        channel: str = "",
        state: DeliveryState | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int,
    ) -> list[Delivery]: ...

    async def retry(self, delivery_id: str, now: datetime) -> Delivery | None: ...

    async def cancel_pending_of_subscription(self, subscription_id: str) -> list[str]: ...

    async def hold(self, delivery_id: str, until: datetime) -> None:
        """Not attempted (a paused webhook subscription): next attempt at ``until``."""

    async def record_attempt(
        self,
        delivery_id: str,
        attempt: Attempt,
        *,
        attempts: int,
        state: DeliveryState,
        next_attempt_at: datetime | None,
    ) -> None: ...


class DeliveryQueue(Protocol):
    """Which deliveries are due; settling one needs the lease its claim took."""

    async def enqueue(self, tenant_id: str, due: Sequence[tuple[str, datetime]]) -> None: ...

    async def release(self, claim: DeliveryClaim) -> bool: ...

    async def reschedule(self, claim: DeliveryClaim, due_at: datetime) -> bool: ...

    async def remove(self, tenant_id: str, delivery_ids: Sequence[str]) -> None: ...

    async def hold_for_digest(
        self, tenant_id: str, recipient_id: str, send_at: datetime
    ) -> None: ...


class DeliveryClaims(Protocol):
    """Leases due deliveries of any tenant, in a transaction of its own (committed before
    the send, so other workers skip them)."""

    async def claim(
        self, now: datetime, *, limit: int, lease: timedelta, owner: uuid.UUID
    ) -> list[DeliveryClaim]: ...


class UnitOfWork(Protocol):
    """One tenant, one transaction: the repositories bound to it, and the events its
    commit writes to the outbox."""

    @property
    def tenant_id(self) -> str: ...

    @property
    def inbox(self) -> InboxRepository: ...

    @property
    def people(self) -> PeopleRepository: ...

    @property
    def preferences(self) -> PreferenceRepository: ...

    @property
    def deliveries(self) -> DeliveryRepository: ...

    @property
    def delivery_queue(self) -> DeliveryQueue: ...

    @property
    def webhook_subscriptions(self) -> WebhookSubscriptions: ...

    @property
    def request_ids(self) -> RequestIds: ...

    def add_events(self, events: Sequence[OutgoingEvent]) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, tenant_id: str) -> AbstractAsyncContextManager[UnitOfWork]: ...
