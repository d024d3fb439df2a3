"""Tracked work on PostgreSQL: started, activity, assignment and completion, with the
reminder and assignment-alert slots following in the same transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from agora_core.postgres import Database
from agora_core.testing.postgres import migrated_database
from agora_notifications.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_notifications.domain.tracked import Assignment
from agora_notifications.migrations import MIGRATIONS

pytestmark = pytest.mark.integration

T = "t-track"
AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as migrated:
        yield migrated


async def _slots(database: Database, table: str) -> list[tuple[object, ...]]:
    async with database.unit_of_work() as core:
        cursor = await core.connection.execute(
            f"SELECT work_id, due_at FROM {table} ORDER BY 1"  # noqa: S608 - test's own names
        )
        return list(await cursor.fetchall())


async def test_reminder_and_alert_slots_follow_the_work(database: Database) -> None:
    units = PostgresUnitOfWorkFactory(database)
    async with units(T) as uow:
        work = uow.tracked_work
        await work.started("u-1", "path", "p-1", title="Rust", at=AT, first_reminder_at=AT + DAY)
        await work.started(
            "u-1",
            "knowledge",
            "k-1",
            title="Ownership",
            at=AT,
            first_reminder_at=AT + DAY,
            path_id="p-1",
        )
        # Seen again (a redelivered event): the title refreshes, the slot stays.
        await work.started(
            "u-1", "path", "p-1", title="Rust 2", at=AT + DAY, first_reminder_at=AT + 3 * DAY
        )
        assignment = Assignment("a-1", "u-boss", AT + 7 * DAY, compliance=True)
        await work.assigned(
            "u-1",
            "path",
            "p-2",
            assignment,
            title="Security",
            at=AT,
            first_reminder_at=AT + DAY,
            first_alert_at=AT + 5 * DAY,
        )
    assert await _slots(database, "reminder_queue") == [
        ("k-1", AT + DAY),
        ("p-1", AT + DAY),
        ("p-2", AT + DAY),
    ]
    assert await _slots(database, "assignment_queue") == [("p-2", AT + 5 * DAY)]

    async with units(T) as uow:
        work = uow.tracked_work
        await work.activity("u-1", "path", "p-1", AT + 2 * DAY, AT + 4 * DAY)
        await work.activity("u-1", "path", "p-1", AT + DAY, AT + 9 * DAY)  # older: ignored
        await work.completed("u-1", "knowledge", "k-1")
        await work.completed("u-1", "path", "p-2")
        await work.activity("u-1", "path", "p-2", AT + 3 * DAY, AT + 5 * DAY)  # done: ignored
        p1 = await work.get("u-1", "path", "p-1")
        p2 = await work.get("u-1", "path", "p-2")
        k1 = await work.get("u-1", "knowledge", "k-1")
    assert await _slots(database, "reminder_queue") == [("p-1", AT + 4 * DAY)]
    assert await _slots(database, "assignment_queue") == []
    assert p1 is not None
    assert (p1.title, p1.last_activity_at, p1.reminders_sent) == ("Rust 2", AT + 2 * DAY, 0)
    assert k1 is not None
    assert (k1.completed, k1.path_id, k1.next_reminder_at) == (True, "p-1", None)
    assert p2 is not None
    assert p2.completed
    assert p2.assignment == assignment
    async with units("t-other") as uow:
        assert await uow.tracked_work.get("u-1", "path", "p-1") is None
