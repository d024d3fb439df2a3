"""The inbox on PostgreSQL: notifications per recipient, newest first.

Every list query here is served by a named index (``notifications_inbox``, or the
partial ``notifications_unread`` for unread ones); tests/notifications_integration/
test_inbox_queries.py proves it with the planner and bench/notifications_inbox.py
measures it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from agora_core.postgres.pool import AsyncConnection
from agora_notifications.domain.inbox import InboxPosition, Notification

_COLUMNS: Final = (
    "notification_id, recipient_id, category, title, body, create_time, subject_id,"
    " space_id, source_event_id, read_time"
)

PAGE: Final = (
    f"SELECT {_COLUMNS} FROM notifications WHERE tenant_id = %s AND recipient_id = %s"
    " ORDER BY create_time DESC, notification_id DESC LIMIT %s"
)
"""The first page (index ``notifications_inbox``; params: tenant, recipient, limit)."""
PAGE_AFTER: Final = (
    f"SELECT {_COLUMNS} FROM notifications WHERE tenant_id = %s AND recipient_id = %s"
    " AND (create_time, notification_id) < (%s, %s)"
    " ORDER BY create_time DESC, notification_id DESC LIMIT %s"
)
"""A following page (``notifications_inbox``; tenant, recipient, time, id, limit)."""
UNREAD_PAGE: Final = (
    f"SELECT {_COLUMNS} FROM notifications WHERE tenant_id = %s AND recipient_id = %s"
    " AND read_time IS NULL ORDER BY create_time DESC, notification_id DESC LIMIT %s"
)
"""The first page of unread ones (index ``notifications_unread``)."""
UNREAD_PAGE_AFTER: Final = (
    f"SELECT {_COLUMNS} FROM notifications WHERE tenant_id = %s AND recipient_id = %s"
    " AND read_time IS NULL AND (create_time, notification_id) < (%s, %s)"
    " ORDER BY create_time DESC, notification_id DESC LIMIT %s"
)
"""A following page of unread ones (``notifications_unread``)."""
UNREAD_COUNT: Final = (
    "SELECT count(*) FROM notifications"
    " WHERE tenant_id = %s AND recipient_id = %s AND read_time IS NULL"
)
"""The unread count (index ``notifications_unread``)."""

BY_ID: Final = f"SELECT {_COLUMNS} FROM notifications WHERE tenant_id = %s AND notification_id = %s"
"""One notification by primary key."""

_INSERT: Final = (
    f"INSERT INTO notifications (tenant_id, {_COLUMNS}) VALUES"
    " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (tenant_id, notification_id) DO NOTHING"
)
_MARK_READ: Final = (
    "UPDATE notifications SET read_time = %s WHERE tenant_id = %s AND recipient_id = %s"
    " AND notification_id = ANY(%b::text[]) AND read_time IS NULL"
)
_MARK_ALL_READ: Final = (
    "UPDATE notifications SET read_time = %s"
    " WHERE tenant_id = %s AND recipient_id = %s AND read_time IS NULL"
)


def _notification(row: Sequence[Any]) -> Notification:
    return Notification(
        notification_id=row[0],
        recipient_id=row[1],
        category=row[2],
        title=row[3],
        body=row[4],
        create_time=row[5],
        subject_id=row[6],
        space_id=row[7],
        source_event_id=row[8],
        read_time=row[9],
    )


class PostgresInboxRepository:
    """One tenant's inboxes, bound to a unit of work's connection."""

    def __init__(self, connection: AsyncConnection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id

    async def add_once(self, notification: Notification) -> bool:
        """Store; False when a notification with the same (deterministic) id exists."""
        n = notification
        cursor = await self._connection.execute(
            _INSERT,
            (
                self._tenant,
                n.notification_id,
                n.recipient_id,
                n.category,
                n.title,
                n.body,
                n.create_time,
                n.subject_id,
                n.space_id,
                n.source_event_id,
                n.read_time,
            ),
        )
        return cursor.rowcount == 1

    async def page(
        self,
        recipient_id: str,
        *,
        after: InboxPosition | None,
        limit: int,
        unread_only: bool = False,
    ) -> list[Notification]:
        """Newest first, after ``after`` (a keyset range of one index)."""
        head: tuple[Any, ...] = (self._tenant, recipient_id)
        if after is None:
            query, params = (UNREAD_PAGE if unread_only else PAGE), (*head, limit)
        else:
            query = UNREAD_PAGE_AFTER if unread_only else PAGE_AFTER
            params = (*head, after.create_time, after.notification_id, limit)
        cursor = await self._connection.execute(query, params)
        return [_notification(row) for row in await cursor.fetchall()]

    async def by_id(self, notification_id: str) -> Notification | None:
        cursor = await self._connection.execute(BY_ID, (self._tenant, notification_id))
        row = await cursor.fetchone()
        return _notification(row) if row is not None else None

    async def unread_count(self, recipient_id: str) -> int:
        cursor = await self._connection.execute(UNREAD_COUNT, (self._tenant, recipient_id))
        row = await cursor.fetchone()
        return int(row[0]) if row is not None else 0

    async def mark_read(self, recipient_id: str, ids: Sequence[str], now: datetime) -> int:
        """Mark the recipient's unread ones among ``ids``; how many changed."""
        cursor = await self._connection.execute(
            _MARK_READ, (now, self._tenant, recipient_id, list(ids))
        )
        return cursor.rowcount

    async def mark_all_read(self, recipient_id: str, now: datetime) -> int:
        cursor = await self._connection.execute(_MARK_ALL_READ, (now, self._tenant, recipient_id))
        return cursor.rowcount
