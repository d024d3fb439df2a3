"""Real loopback receivers for the integration tests: an SMTP server (aiosmtpd) and an
HTTP webhook endpoint (aiohttp), plus a controllable clock and event builders."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import Message
from typing import TYPE_CHECKING, Any

from agora_contracts.events import EventPayload
from agora_core.messaging.events import OutgoingEvent
from agora_core.ports import free_port as free_port
from agora_core.testing.service_harness import test_settings
from agora_core.testing.smtp_server import SmtpServer as SmtpServer
from agora_core.testing.webhook_receiver import WebhookReceiver
from agora_notifications.bootstrap import NotificationsRuntime
from agora_notifications.settings import NotificationsSettings

if TYPE_CHECKING:
    from agora.notifications.v1.notifications_pb2_grpc import NotificationsServiceAsyncStub


class ManualClock:
    """A clock the test moves by hand (never backwards: the service is shared)."""

    def __init__(self) -> None:
        self._now = datetime.now(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def advance_to(self, instant: datetime) -> datetime:
        if instant > self._now:
            self._now = instant
        return self._now


def event(
    payload: EventPayload,
    *,
    tenant: str,
    subject: str,
    source: str = "/agora/catalog",
    event_id: uuid.UUID | None = None,
    actor: str | None = None,
) -> OutgoingEvent:
    return OutgoingEvent.create(
        payload,
        source=source,
        subject=subject,
        tenant_id=tenant,
        actor_id=actor,
        event_id=event_id or uuid.uuid4(),
    )


def parts(message: Message) -> dict[str, str]:
    """content type → decoded text of a multipart email."""
    found: dict[str, str] = {}
    for part in message.walk():
        if part.get_content_maintype() == "multipart":
            continue
        payload: Any = part.get_payload(decode=True)
        found[part.get_content_type()] = payload.decode(part.get_content_charset() or "utf-8")
    return found


@dataclass
class Stack:
    runtime: NotificationsRuntime
    stub: NotificationsServiceAsyncStub
    clock: ManualClock
    smtp: SmtpServer
    receiver: WebhookReceiver
    settings: NotificationsSettings
    kafka: str

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.runtime.public_http.port}"


def stack_settings(
    kafka: str,
    smtp_port: int,
    *,
    postgres_dsn: str,
    **overrides: object,
) -> NotificationsSettings:
    """Settings of a test instance on the PostgreSQL database ``postgres_dsn``."""
    public_port = free_port()
    values: dict[str, Any] = {
        "smtp_port": smtp_port,
        # The unsubscribe links in emails must name the real port: pick it up front.
        "public_port": public_port,
        "public_base_url": f"http://127.0.0.1:{public_port}",
        "webhook_allow_private_addresses": True,
        "delivery_poll_interval_ms": 50,
        "delivery_max_attempts": 3,
        "delivery_backoff_seconds": 60,
        "delivery_backoff_max_seconds": 120,
        "scheduler_interval_seconds": 3600,
        "reminder_inactivity_hours": 72,
        "reminder_max_count": 3,
        "smtp_timeout_seconds": 5,
        "webhook_timeout_seconds": 5,
        "postgres_dsn": postgres_dsn,
    }
    values.update(overrides)
    return test_settings(NotificationsSettings, kafka=kafka, **values)
