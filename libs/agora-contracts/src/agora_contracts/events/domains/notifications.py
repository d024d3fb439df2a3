"""Notification events: what reached a person (or failed to), per channel.

Keyed by the recipient, so one person's notifications stay in order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from agora_contracts.events.common import EntityId
from agora_contracts.events.payload import EventPayload
from agora_contracts.events.registry import REGISTRY

DELIVERIES_TOPIC = "agora.notifications.deliveries.v1"

Channel = Literal["inbox", "email", "webhook"]


@REGISTRY.event(
    "org.agora.notifications.notification.delivered.v1",
    topic=DELIVERIES_TOPIC,
    key="recipient_id",
    description="A notification reached its channel (inbox stored, email accepted by SMTP).",
)
class NotificationDeliveredV1(EventPayload):
    notification_id: EntityId = Field(description="The notification.", examples=["n-1"])
    recipient_id: EntityId = Field(description="Who it is for.", examples=["u-ada"])
    category: str = Field(
        max_length=100, description="Notification category.", examples=["submission_reviewed"]
    )
    channel: Channel = Field(description="Channel used.", examples=["email"])
    source_event_id: EntityId | None = Field(
        default=None,
        description="The event that triggered it (null for reminders and digests).",
        examples=["0b8f6c1e-2d7a-4a53-9a55-0f6f3c2b9e11"],
    )
    delivered_at: datetime = Field(description="When.", examples=["2026-11-23T10:00:00Z"])


@REGISTRY.event(
    "org.agora.notifications.notification.failed.v1",
    topic=DELIVERIES_TOPIC,
    key="recipient_id",
    description="A notification could not be delivered after every retry.",
)
class NotificationFailedV1(EventPayload):
    notification_id: EntityId = Field(description="The notification.", examples=["n-1"])
    recipient_id: EntityId = Field(description="Who it is for.", examples=["u-ada"])
    category: str = Field(
        max_length=100, description="Notification category.", examples=["submission_reviewed"]
    )
    channel: Channel = Field(description="Channel tried.", examples=["email"])
    attempts: int = Field(ge=1, description="Attempts made.", examples=[5])
    error: str = Field(
        max_length=1000, description="Last error.", examples=["SMTP 451 try again later"]
    )
    failed_at: datetime = Field(description="When.", examples=["2026-11-23T10:00:00Z"])
