"""What the service talks about: categories, channels, profiles, notification drafts."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from agora_notifications.i18n.catalogs import catalog_locales


class Category(enum.StrEnum):
    """Why a person hears from us; preferences are set per category and channel."""

    SUBMISSION_REVIEWED = "submission_reviewed"
    REVIEW_REQUESTED = "review_requested"
    ANSWER_POSTED = "answer_posted"
    COMMENT_POSTED = "comment_posted"
    MENTION = "mention"
    BADGE_AWARDED = "badge_awarded"
    LEVEL_REACHED = "level_reached"
    CHALLENGE_STARTED = "challenge_started"
    CHALLENGE_WON = "challenge_won"
    ASSIGNMENT_CREATED = "assignment_created"
    ASSIGNMENT_DUE_SOON = "assignment_due_soon"
    ASSIGNMENT_OVERDUE = "assignment_overdue"
    PATH_COMPLETED = "path_completed"
    RELAUNCH_REMINDER = "relaunch_reminder"
    STALLED_WORK = "stalled_work"
    NUDGE = "nudge"


ALL_CATEGORIES: Final = frozenset(c.value for c in Category)
WILDCARD: Final = "*"
"""A preference for every category the same layer does not name."""


class Channel(enum.StrEnum):
    """Channels a person's preferences govern (webhooks are per tenant, not per person)."""

    INBOX = "inbox"
    EMAIL = "email"


class DigestMode(enum.StrEnum):
    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"


class NudgeCadence(enum.StrEnum):
    OFF = "off"
    DAILY = "daily"
    WEEKLY = "weekly"


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    HELD = "held"
    DIGESTED = "digested"
    CANCELLED = "cancelled"


SUPPORTED_LOCALES: Final = catalog_locales()
"""Locales with a translation catalog (docs/translations.md: a catalog adds a language)."""


@dataclass(frozen=True)
class Profile:
    """A person's delivery profile (this service owns it: the platform has no user service)."""

    person_id: str
    email: str = ""
    locale: str = "en"
    time_zone: str = "UTC"
    nudge_cadence: NudgeCadence = NudgeCadence.OFF
    nudge_hour: int = 9
    nudge_weekday: int = 1


@dataclass(frozen=True)
class NotificationDraft:
    """One notification a trigger asks for, before preferences and rendering.

    ``source_key`` is what makes it unique per recipient and category: the triggering
    event id, or a deterministic key for scheduler-made notifications (reminder n° k
    of a tracked item), so producing it twice is a no-op.
    """

    recipient_id: str
    category: Category
    source_key: str
    subject_id: str
    params: dict[str, str] = field(default_factory=dict)
    source_event_id: str | None = None
    space_id: str | None = None
    occurred_at: datetime | None = None


def notification_id(tenant_id: str, source_key: str, recipient_id: str, category: str) -> str:
    """Deterministic id: the same trigger never makes two notifications for one person."""
    raw = "\x1f".join((tenant_id, source_key, recipient_id, category))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def delivery_id(notification: str, channel: str) -> str:
    """One delivery per (notification, channel)."""
    return f"{notification}:{channel}"
