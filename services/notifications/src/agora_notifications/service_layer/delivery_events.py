"""The events a delivery attempt publishes: ``notification.delivered`` (email) and
``notification.failed`` (email or webhook, once attempts are exhausted)."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from agora_contracts.events.domains.notifications import (
    NotificationDeliveredV1,
    NotificationFailedV1,
)
from agora_core.messaging.events import OutgoingEvent
from agora_notifications.domain.deliveries import Delivery

SOURCE: Final = "/agora/notifications"
"""The ``ce_source`` of every event this service publishes."""


def delivered_event(delivery: Delivery, now: datetime) -> OutgoingEvent:
    return OutgoingEvent.create(
        NotificationDeliveredV1(
            notification_id=delivery.notification_id,
            recipient_id=delivery.recipient_id,
            category=delivery.category or "digest",
            channel=delivery.channel,
            source_event_id=delivery.source_event_id,
            delivered_at=now,
        ),
        source=SOURCE,
        subject=delivery.notification_id,
        tenant_id=delivery.tenant_id,
        key=delivery.recipient_id,
        time=now,
    )


def failed_event(delivery: Delivery, attempts: int, error: str, now: datetime) -> OutgoingEvent:
    return OutgoingEvent.create(
        NotificationFailedV1(
            notification_id=delivery.notification_id,
            recipient_id=delivery.recipient_id,
            category=delivery.category or "digest",
            channel=delivery.channel,
            attempts=attempts,
            error=(error or "failed")[:1000],
            failed_at=now,
        ),
        source=SOURCE,
        subject=delivery.notification_id,
        tenant_id=delivery.tenant_id,
        key=delivery.recipient_id,
        time=now,
    )
