"""A delivery: one email or webhook to send, its state and its attempt log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from agora_notifications.domain.model import DeliveryState, DigestMode


@dataclass(frozen=True)
class EmailContent:
    """A rendered email, ready for the relay."""

    to: str
    subject: str
    text: str
    html: str
    unsubscribe_url: str


@dataclass(frozen=True)
class WebhookContent:
    """A webhook's payload: the JSON body and the event's CloudEvents attributes."""

    body: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Attempt:
    """One send attempt, as the delivery log shows it."""

    time: datetime
    ok: bool
    status_code: int = 0
    error: str = ""


@dataclass(frozen=True)
class HeldDigest:
    """An email held for a digest: which one (``key``) and when it goes out."""

    mode: DigestMode
    send_at: datetime
    key: str
    title: str = ""
    body: str = ""
    """The notification's text, listed in the digest."""


@dataclass(frozen=True)
class Delivery:
    """One email (``email`` set) or webhook (``webhook`` set, ``subscription_id`` names
    its subscription, no foreign key) to one recipient."""

    id: str
    tenant_id: str
    channel: str
    state: DeliveryState
    create_time: datetime
    recipient_id: str = ""
    subscription_id: str = ""
    notification_id: str = ""
    event_type: str = ""
    category: str = ""
    source_event_id: str | None = None
    attempts: int = 0
    last_error: str = ""
    next_attempt_at: datetime | None = None
    email: EmailContent | None = None
    webhook: WebhookContent | None = None
    log: tuple[Attempt, ...] = field(default=())
    digest: HeldDigest | None = None
