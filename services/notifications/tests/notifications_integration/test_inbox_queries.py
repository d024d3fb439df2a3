"""The inbox on PostgreSQL: pages newest first by keyset, unread count, marking read,
tenant isolation, and every inbox and queue query served by its named index (EXPLAIN
of the repositories' own SQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from agora_core.postgres import Database
from agora_core.testing.postgres import assert_index_serves, migrated_database, query_plan
from agora_notifications.adapters.postgres import delivery_queue, inbox
from agora_notifications.adapters.postgres.inbox import PostgresInboxRepository
from agora_notifications.domain.inbox import InboxPosition, Notification
from agora_notifications.migrations import MIGRATIONS

pytestmark = pytest.mark.integration

TENANT = "t-inbox"
AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as migrated:
        yield migrated


def _note(n: int, recipient: str = "p-1", minutes: int | None = None) -> Notification:
    return Notification(
        notification_id=f"n-{n:03d}",
        recipient_id=recipient,
        category="badge_awarded",
        title=f"Badge {n}",
        body="You earned a badge",
        create_time=AT + timedelta(minutes=n if minutes is None else minutes),
        subject_id=f"b-{n}",
    )


async def _add(database: Database, tenant: str, notes: list[Notification]) -> list[bool]:
    async with database.unit_of_work(tenant) as uow:
        repo = PostgresInboxRepository(uow.connection, tenant)
        return [await repo.add_once(note) for note in notes]


async def test_pages_walk_newest_first_without_gaps_or_repeats(database: Database) -> None:
    # Five share one time: the id breaks the tie, so the keyset still splits them cleanly.
    notes = [_note(n) for n in range(7)] + [_note(n, minutes=100) for n in range(7, 12)]
    assert await _add(database, TENANT, notes) == [True] * 12
    seen: list[str] = []
    after: InboxPosition | None = None
    async with database.unit_of_work(TENANT) as uow:
        repo = PostgresInboxRepository(uow.connection, TENANT)
        while True:
            page = await repo.page("p-1", after=after, limit=5)
            seen += [n.notification_id for n in page]
            if len(page) < 5:
                break
            after = InboxPosition(page[-1].create_time, page[-1].notification_id)
    expected = sorted(notes, key=lambda n: (n.create_time, n.notification_id), reverse=True)
    assert seen == [n.notification_id for n in expected]


async def test_adding_twice_is_a_no_op(database: Database) -> None:
    assert await _add(database, TENANT, [_note(1)]) == [True]
    assert await _add(database, TENANT, [_note(1), _note(2)]) == [False, True]


async def test_unread_count_and_marking_read(database: Database) -> None:
    await _add(database, TENANT, [_note(n) for n in range(6)] + [_note(9, recipient="p-2")])
    read_at = AT + timedelta(days=1)
    async with database.unit_of_work(TENANT) as uow:
        repo = PostgresInboxRepository(uow.connection, TENANT)
        assert await repo.unread_count("p-1") == 6
        # Another person's id and an already-read one change nothing.
        assert await repo.mark_read("p-1", ["n-001", "n-002", "n-009"], read_at) == 2
        assert await repo.mark_read("p-1", ["n-001"], read_at) == 0
        assert await repo.unread_count("p-1") == 4
        unread = await repo.page("p-1", after=None, limit=10, unread_only=True)
        assert [n.notification_id for n in unread] == ["n-005", "n-004", "n-003", "n-000"]
        later = await repo.page(
            "p-1", after=InboxPosition(unread[1].create_time, "n-004"), limit=10, unread_only=True
        )
        assert [n.notification_id for n in later] == ["n-003", "n-000"]
        assert await repo.mark_all_read("p-1", read_at) == 4
        assert await repo.unread_count("p-1") == 0
        assert await repo.unread_count("p-2") == 1
        first = await repo.page("p-1", after=None, limit=1)
        assert first[0].read
        assert first[0].read_time == read_at


async def test_a_tenant_sees_only_its_own_inbox(database: Database) -> None:
    await _add(database, TENANT, [_note(1)])
    async with database.unit_of_work("t-other") as uow:
        other = PostgresInboxRepository(uow.connection, "t-other")
        assert await other.unread_count("p-1") == 0
        # Row-level security: even naming the other tenant in SQL reads nothing.
        cursor = await uow.connection.execute(
            "SELECT count(*) FROM notifications WHERE tenant_id = %s", (TENANT,)
        )
        assert await cursor.fetchone() == (0,)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with database.unit_of_work() as uow:
            await uow.connection.execute("SELECT count(*) FROM notifications")


async def served_by(
    database: Database, sql: str, params: tuple[Any, ...], index: str, **allowed: bool
) -> None:
    assert_index_serves(await query_plan(database, sql, params, tenant_id=TENANT), index, **allowed)


async def test_inbox_queries_are_index_range_reads(database: Database) -> None:
    head = (TENANT, "p-1")
    await served_by(database, inbox.PAGE, (*head, 51), "notifications_inbox")
    await served_by(database, inbox.PAGE_AFTER, (*head, AT, "n-1", 51), "notifications_inbox")
    await served_by(database, inbox.UNREAD_PAGE, (*head, 51), "notifications_unread")
    await served_by(
        database, inbox.UNREAD_PAGE_AFTER, (*head, AT, "n-1", 51), "notifications_unread"
    )
    await served_by(database, inbox.UNREAD_COUNT, head, "notifications_unread")


async def test_the_delivery_claim_reads_the_due_index(database: Database) -> None:
    owner = "00000000-0000-0000-0000-000000000001"
    plan = await query_plan(database, delivery_queue.CLAIM, (AT, 50, AT, owner))
    assert_index_serves(plan, "delivery_queue_due")
