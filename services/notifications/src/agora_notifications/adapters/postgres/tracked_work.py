"""Tracked work on PostgreSQL: a learner's started or assigned items and paths, and
their reminder and assignment-alert slots kept in step in the same transaction (a slot
exists while there is something to send)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from agora_core.postgres.pool import AsyncConnection
from agora_notifications.domain.tracked import Assignment, TrackedWork

_KEY: Final = "tenant_id = %s AND learner_id = %s AND kind = %s AND work_id = %s"
_COLUMNS: Final = (
    "learner_id, kind, work_id, title, path_id, completed, last_activity_at,"
    " next_reminder_at, reminders_sent, assignment_id, assigned_by, due_at, compliance,"
    " due_soon_sent, overdue_sent, stalled, stalled_reported"
)
_GET: Final = f"SELECT {_COLUMNS} FROM tracked_work WHERE {_KEY}"
_STARTED: Final = (
    "INSERT INTO tracked_work (tenant_id, learner_id, kind, work_id, title, path_id,"
    " last_activity_at, next_reminder_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (tenant_id, learner_id, kind, work_id) DO UPDATE SET title = excluded.title,"
    " path_id = coalesce(excluded.path_id, tracked_work.path_id)"
    " RETURNING completed, next_reminder_at, xmax = 0"
)
"""``xmax = 0``: the row was inserted (not updated), so its reminder slot is new."""
_ACTIVITY: Final = (
    "UPDATE tracked_work SET last_activity_at = %s, next_reminder_at = %s, reminders_sent = 0"
    f" WHERE {_KEY} AND NOT completed AND (last_activity_at IS NULL OR last_activity_at < %s)"
    " RETURNING next_reminder_at"
)
_COMPLETED: Final = (
    "INSERT INTO tracked_work (tenant_id, learner_id, kind, work_id, completed)"
    " VALUES (%s, %s, %s, %s, true) ON CONFLICT (tenant_id, learner_id, kind, work_id)"
    " DO UPDATE SET completed = true, next_reminder_at = NULL"
)
_ASSIGNED: Final = (
    "INSERT INTO tracked_work (tenant_id, learner_id, kind, work_id, title, last_activity_at,"
    " next_reminder_at, assignment_id, assigned_by, due_at, compliance)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (tenant_id, learner_id, kind, work_id) DO UPDATE SET title = excluded.title,"
    " assignment_id = excluded.assignment_id, assigned_by = excluded.assigned_by,"
    " due_at = excluded.due_at, compliance = excluded.compliance, due_soon_sent = false,"
    " overdue_sent = false RETURNING completed, next_reminder_at, xmax = 0"
)
_REMINDED: Final = (
    "UPDATE tracked_work SET reminders_sent = %s, next_reminder_at = %s,"
    " stalled = stalled OR %s, stalled_reported = stalled_reported AND NOT %s"
    f" WHERE {_KEY} AND reminders_sent = %s AND NOT completed"
)
_ALERTED: Final = (
    f"UPDATE tracked_work SET due_soon_sent = %s, overdue_sent = %s WHERE {_KEY} AND NOT completed"
)
_STALLED: Final = (
    f"SELECT {_COLUMNS} FROM tracked_work WHERE tenant_id = %s"
    " AND stalled AND NOT stalled_reported AND NOT completed ORDER BY learner_id, kind, work_id"
)
_REPORTED: Final = (
    "UPDATE tracked_work SET stalled_reported = true WHERE tenant_id = %s"
    " AND (learner_id, kind, work_id) IN (SELECT * FROM unnest(%b::text[], %b::text[],"
    " %b::text[]))"
)
_SLOT_COLUMNS: Final = "tenant_id, learner_id, kind, work_id, due_at"
_SLOT_CONFLICT: Final = (
    " ON CONFLICT (tenant_id, learner_id, kind, work_id)"
    " DO UPDATE SET due_at = excluded.due_at, lease_owner = NULL"
)


def _work(row: Sequence[Any]) -> TrackedWork:
    assignment = (
        Assignment(row[9], row[10], row[11], row[12], row[13], row[14])
        if row[9] is not None
        else None
    )
    return TrackedWork(
        learner_id=row[0],
        kind=row[1],
        work_id=row[2],
        title=row[3],
        path_id=row[4],
        completed=row[5],
        last_activity_at=row[6],
        next_reminder_at=row[7],
        reminders_sent=row[8],
        assignment=assignment,
        stalled=row[15],
        stalled_reported=row[16],
    )


class PostgresTrackedWorkRepository:
    """One tenant's tracked work, bound to a unit of work's connection."""

    def __init__(self, connection: AsyncConnection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id

    def _key(self, learner: str, kind: str, work: str) -> tuple[str, str, str, str]:
        return (self._tenant, learner, kind, work)

    async def get(self, learner: str, kind: str, work: str) -> TrackedWork | None:
        cursor = await self._connection.execute(_GET, self._key(learner, kind, work))
        row = await cursor.fetchone()
        return _work(row) if row is not None else None

    async def started(
        self,
        learner: str,
        kind: str,
        work: str,
        *,
        title: str,
        at: datetime,
        first_reminder_at: datetime,
        path_id: str | None = None,
    ) -> None:
        """Follow new work (its reminder due at ``first_reminder_at``); known work only
        gets its title (and path) refreshed."""
        key = self._key(learner, kind, work)
        cursor = await self._connection.execute(
            _STARTED, (*key, title, path_id, at, first_reminder_at)
        )
        row = await cursor.fetchone()
        if row is not None and row[2] and not row[0]:
            # Only new work gets a slot: re-upserting a known one would void a lease.
            await self._reminder_slot(key, row[1])

    async def activity(
        self, learner: str, kind: str, work: str, at: datetime, next_reminder_at: datetime
    ) -> None:
        """Activity restarts the inactivity clock and the reminder series (a later
        activity only: events may arrive out of order)."""
        key = self._key(learner, kind, work)
        cursor = await self._connection.execute(_ACTIVITY, (at, next_reminder_at, *key, at))
        row = await cursor.fetchone()
        if row is not None:
            await self._reminder_slot(key, row[0])

    async def completed(self, learner: str, kind: str, work: str) -> None:
        """Done: no reminder, no assignment alert any more."""
        key = self._key(learner, kind, work)
        await self._connection.execute(_COMPLETED, key)
        await self._reminder_slot(key, None)
        await self._connection.execute(f"DELETE FROM assignment_queue WHERE {_KEY}", key)

    async def assigned(
        self,
        learner: str,
        kind: str,
        work: str,
        assignment: Assignment,
        *,
        title: str,
        at: datetime,
        first_reminder_at: datetime,
        first_alert_at: datetime | None,
    ) -> None:
        """Follow assigned work; its alerts start at ``first_alert_at`` (due soon)."""
        key = self._key(learner, kind, work)
        cursor = await self._connection.execute(
            _ASSIGNED,
            (
                *key,
                title,
                at,
                first_reminder_at,
                assignment.assignment_id,
                assignment.assigned_by,
                assignment.due_at,
                assignment.compliance,
            ),
        )
        row = await cursor.fetchone()
        if row is None or row[0]:
            return
        if row[2]:
            await self._reminder_slot(key, row[1])
        if first_alert_at is not None:
            await self._connection.execute(
                f"INSERT INTO assignment_queue ({_SLOT_COLUMNS}) VALUES (%s, %s, %s, %s, %s)"
                + _SLOT_CONFLICT,
                (*key, first_alert_at),
            )

    async def reminded(
        self,
        learner: str,
        kind: str,
        work: str,
        *,
        sent: int,
        next_reminder_at: datetime | None,
        stalled: bool,
    ) -> bool:
        """Reminder n° ``sent`` went out (only if ``sent - 1`` had, and the work is not
        done); ``stalled``: the series ended on assigned work, for its manager's
        digest. The reminder slot is settled by the scheduler's claim."""
        key = self._key(learner, kind, work)
        cursor = await self._connection.execute(
            _REMINDED, (sent, next_reminder_at, stalled, stalled, *key, sent - 1)
        )
        return cursor.rowcount == 1

    async def alerted(
        self, learner: str, kind: str, work: str, *, due_soon_sent: bool, overdue_sent: bool
    ) -> None:
        """Which assignment alerts went out."""
        key = self._key(learner, kind, work)
        await self._connection.execute(_ALERTED, (due_soon_sent, overdue_sent, *key))

    async def stalled_unreported(self) -> list[TrackedWork]:
        """Stalled assigned work not yet in a manager's digest (index
        ``tracked_work_stalled``)."""
        cursor = await self._connection.execute(_STALLED, (self._tenant,))
        return [_work(row) for row in await cursor.fetchall()]

    async def stalled_reported(self, works: Sequence[TrackedWork]) -> None:
        """These stalled works are in a manager's digest now."""
        await self._connection.execute(
            _REPORTED,
            (
                self._tenant,
                [w.learner_id for w in works],
                [w.kind for w in works],
                [w.work_id for w in works],
            ),
        )

    async def _reminder_slot(self, key: tuple[str, str, str, str], due: datetime | None) -> None:
        if due is None:
            await self._connection.execute(f"DELETE FROM reminder_queue WHERE {_KEY}", key)
            return
        await self._connection.execute(
            f"INSERT INTO reminder_queue ({_SLOT_COLUMNS}) VALUES (%s, %s, %s, %s, %s)"
            + _SLOT_CONFLICT,
            (*key, due),
        )
