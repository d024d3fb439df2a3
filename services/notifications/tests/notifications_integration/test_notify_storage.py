"""Drafts to inbox entries and email deliveries on PostgreSQL, in one unit of work:
idempotent, preferences honoured (inbox off, digest held, quiet hours), events and
queue rows only for what is new."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time

import pytest

from agora_core.postgres import Database
from agora_core.testing.postgres import migrated_database
from agora_notifications.adapters.email_rendering import EmailRenderer
from agora_notifications.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_notifications.domain.model import (
    Category,
    Channel,
    DigestMode,
    NotificationDraft,
    Profile,
)
from agora_notifications.domain.preferences import ChannelSetting, PreferenceLayer, QuietHours
from agora_notifications.migrations import MIGRATIONS
from agora_notifications.service_layer.notify import EmailLinks, Notified, notify

pytestmark = pytest.mark.integration

T = "t-notify"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
LINKS = EmailLinks("http://127.0.0.1:9/", "unsubscribe-secret")


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as migrated:
        yield migrated


def _draft(recipient: str, category: Category, key: str) -> NotificationDraft:
    return NotificationDraft(
        recipient_id=recipient,
        category=category,
        source_key=key,
        subject_id="s-1",
        params={"title": "Rust basics", "author": "u-bob", "badge": "Starter"},
        source_event_id="e-" + key,
    )


async def _notify(database: Database, *drafts: NotificationDraft) -> Notified:
    async with PostgresUnitOfWorkFactory(database)(T) as uow:
        return await notify(uow, drafts, NOW, renderer=EmailRenderer(), links=LINKS, digest_hour=18)


async def _rows(database: Database, query: str) -> list[tuple[object, ...]]:
    async with database.unit_of_work(T) as core:
        cursor = await core.connection.execute(query)
        return list(await cursor.fetchall())


async def test_drafts_become_inbox_entries_and_emails_once(database: Database) -> None:
    units = PostgresUnitOfWorkFactory(database)
    async with units(T) as uow:
        for person in ("u-ada", "u-cy"):
            await uow.people.save_profile(Profile(person, email=f"{person}@example.com"), NOW)
        await uow.people.save_profile(Profile("u-bob"), NOW)  # no address: inbox only
        await uow.preferences.put(
            "person",
            "u-ada",
            PreferenceLayer(
                {
                    Category.MENTION.value: {
                        Channel.EMAIL: ChannelSetting(enabled=True, digest=DigestMode.DAILY)
                    },
                    Category.COMMENT_POSTED.value: {Channel.INBOX: ChannelSetting(enabled=False)},
                }
            ),
            NOW,
        )
        await uow.preferences.put(
            "person", "u-cy", PreferenceLayer({}, QuietHours(time(11, 0), time(13, 0))), NOW
        )
    drafts = (
        _draft("u-ada", Category.BADGE_AWARDED, "k1"),
        _draft("u-ada", Category.MENTION, "k2"),
        _draft("u-ada", Category.COMMENT_POSTED, "k3"),
        _draft("u-bob", Category.BADGE_AWARDED, "k4"),
        _draft("u-cy", Category.BADGE_AWARDED, "k5"),
    )
    first = await _notify(database, *drafts)
    assert len(first.created) == 5
    assert first.email_due, "u-ada's badge email goes now"
    again = await _notify(database, *drafts)
    assert again.created == []
    assert not again.email_due

    inbox = await _rows(database, "SELECT recipient_id, category FROM notifications ORDER BY 1, 2")
    assert inbox == [
        ("u-ada", "badge_awarded"),
        ("u-ada", "mention"),  # u-ada turned the inbox off for comments only
        ("u-bob", "badge_awarded"),
        ("u-cy", "badge_awarded"),
    ]
    emails = await _rows(
        database,
        "SELECT recipient_id, category, state, next_attempt_at, digest_mode, email ->> 'to'"
        " FROM deliveries ORDER BY 1, 2",
    )
    quiet_end = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)
    assert [row[:5] for row in emails] == [
        ("u-ada", "badge_awarded", "pending", NOW, None),
        ("u-ada", "comment_posted", "pending", NOW, None),
        ("u-ada", "mention", "held", None, "daily"),
        ("u-cy", "badge_awarded", "pending", quiet_end, None),
    ]
    assert {row[5] for row in emails} == {"u-ada@example.com", "u-cy@example.com"}
    queued = await _rows(database, "SELECT due_at FROM delivery_queue ORDER BY 1")
    assert queued == [(NOW,), (NOW,), (quiet_end,)]
    held = await _rows(database, "SELECT recipient_id, due_at FROM digest_queue")
    assert held == [("u-ada", datetime(2026, 12, 7, 18, 0, tzinfo=UTC))]
    events = await _rows(database, "SELECT type, aggregateid FROM outbox")
    assert len(events) == 4, "one notification.delivered per new inbox entry"
    assert {kind for kind, _ in events} == {"org.agora.notifications.notification.delivered.v1"}
