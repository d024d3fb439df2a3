"""A person's inbox: the notifications stored for them and the page cursor over them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Notification:
    """One inbox entry; ``read_time`` is None while unread."""

    notification_id: str
    recipient_id: str
    category: str
    title: str
    body: str
    create_time: datetime
    subject_id: str = ""
    space_id: str | None = None
    source_event_id: str | None = None
    read_time: datetime | None = None

    @property
    def read(self) -> bool:
        return self.read_time is not None


@dataclass(frozen=True)
class InboxPosition:
    """Where a page of the inbox (newest first) stops: the last entry shown."""

    create_time: datetime
    notification_id: str
