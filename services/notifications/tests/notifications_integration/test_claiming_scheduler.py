"""The scheduler on PostgreSQL, two replicas ticking together on one database: relaunch
reminders with escalating spacing, then the manager's stalled-work digest; assignment
due-soon then overdue alerts; an email digest of held email; a daily nudge with a short
item. Each notification is made once, whichever replica claimed its slot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import astuple
from datetime import UTC, datetime, timedelta

import pytest

from agora_contracts.events.domains import learning
from agora_core.postgres import Database
from agora_core.testing.postgres import migrated_database
from agora_notifications.adapters.email_rendering import EmailRenderer
from agora_notifications.adapters.postgres.schedule_queues import PostgresScheduleClaims
from agora_notifications.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_notifications.domain.model import (
    Category,
    Channel,
    DigestMode,
    NotificationDraft,
    NudgeCadence,
    Profile,
)
from agora_notifications.domain.preferences import ChannelSetting, PreferenceLayer
from agora_notifications.migrations import MIGRATIONS
from agora_notifications.service_layer.claiming_scheduler import (
    ClaimingScheduler,
    SchedulePolicy,
    TickReport,
)
from agora_notifications.service_layer.event_intake import Intake, IntakePolicy
from agora_notifications.service_layer.notify import EmailLinks, notify
from agora_notifications.service_layer.webhook_routing import SubscriptionCache

from .received import received

pytestmark = pytest.mark.integration

T = "t-intake"
START = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)
LINKS = EmailLinks("http://127.0.0.1:9/", "unsubscribe-secret")
POLICY = SchedulePolicy(
    inactivity=3 * DAY,
    factor=2.0,
    max_count=2,
    due_soon=2 * DAY,
    nudge_max_minutes=10,
    digest_hour=18,
    lease=timedelta(minutes=5),
)


class Clock:
    def __init__(self) -> None:
        self.at = START

    def now(self) -> datetime:
        return self.at


class Waker:
    def notify(self) -> None:
        """The delivery worker is not running in this test."""


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as migrated:
        yield migrated


async def _categories(database: Database, person: str) -> list[str]:
    async with database.unit_of_work(T) as core:
        cursor = await core.connection.execute(
            "SELECT category FROM notifications WHERE recipient_id = %s"
            " ORDER BY create_time, category",
            (person,),
        )
        return [category for (category,) in await cursor.fetchall()]


async def test_two_replicas_do_each_scheduled_thing_once(database: Database) -> None:
    units = PostgresUnitOfWorkFactory(database)
    clock = Clock()
    replicas = [
        ClaimingScheduler(
            units,
            PostgresScheduleClaims(database),
            renderer=EmailRenderer(),
            links=LINKS,
            clock=clock,
            worker=Waker(),
            policy=POLICY,
            interval=3600,
        )
        for _ in range(2)
    ]

    async def tick(at: datetime) -> TickReport:
        clock.at = at
        reports = await asyncio.gather(*(r.run_due(at) for r in replicas))
        return TickReport(*(sum(values) for values in zip(*map(astuple, reports), strict=True)))

    async with units(T) as uow:
        await uow.people.save_profile(
            Profile("u-ada", email="ada@example.com", nudge_cadence=NudgeCadence.DAILY), START
        )
        await uow.people.save_profile(Profile("u-cy", email="cy@example.com"), START)
        await uow.preferences.put(
            "person",
            "u-cy",
            PreferenceLayer(
                {
                    Category.BADGE_AWARDED.value: {
                        Channel.EMAIL: ChannelSetting(enabled=True, digest=DigestMode.DAILY)
                    }
                }
            ),
            START,
        )
        await uow.catalog.item_published("k-short", "Passwords", 4, ["security"])
        await uow.people.learnt("u-ada", skills=["security"])
        for n in (1, 2):
            badge = NotificationDraft(
                recipient_id="u-cy",
                category=Category.BADGE_AWARDED,
                source_key=f"badge-{n}",
                subject_id=f"b-{n}",
                params={"badge": f"Starter {n}"},
            )
            await notify(uow, [badge], START, renderer=EmailRenderer(), links=LINKS, digest_hour=18)
    intake = Intake(
        renderer=EmailRenderer(),
        links=LINKS,
        subscriptions=SubscriptionCache(units, ttl=60),
        clock=clock,
        worker=Waker(),
        policy=IntakePolicy(reminder_inactivity=3 * DAY, due_soon=2 * DAY, digest_hour=18),
    )
    assigned = learning.AssignmentCreatedV1(
        assignment_id="as-1",
        learner_id="u-ada",
        assigned_by="u-boss",
        target_kind="knowledge",
        target_id="k-sec",
        target_title="Security basics",
        due_at=START + 30 * DAY,
        compliance=True,
        assigned_at=START,
    )
    async with units(T) as uow:
        await intake.handle(received(assigned, tenant=T, subject="u-ada"), uow)

    first = await tick(START + timedelta(hours=8))  # 18:00: digest hour
    assert (first.email_digests, first.reminders) == (1, 0)
    async with database.unit_of_work(T) as core:
        cursor = await core.connection.execute(
            "SELECT state, count(*) FROM deliveries WHERE recipient_id = 'u-cy' GROUP BY 1"
            " ORDER BY 1"
        )
        assert await cursor.fetchall() == [("digested", 2), ("pending", 1)]
    assert (await tick(START + 2 * DAY)).reminders == 0
    assert (await tick(START + 3 * DAY)).reminders == 1
    assert (await tick(START + 4 * DAY)).reminders == 0, "escalating: 6 days after the first"
    last = await tick(START + 9 * DAY)
    assert (last.reminders, last.stalled_digests) == (1, 1)
    assert await _categories(database, "u-boss") == ["stalled_work"]
    assert (await tick(START + 20 * DAY)).reminders == 0, "the series ended"
    soon = await tick(START + 28 * DAY)
    assert (soon.due_soon, soon.overdue) == (1, 0)
    late = await tick(START + 30 * DAY)
    assert (late.due_soon, late.overdue) == (0, 1)
    assert (await tick(START + 31 * DAY)).overdue == 0

    ada = await _categories(database, "u-ada")
    assert ada.count("relaunch_reminder") == 2
    assert ada.count("assignment_due_soon") == 1
    assert ada.count("assignment_overdue") == 1
    assert ada.count("assignment_created") == 1
    # The first nudge slot is day 1 at 09:00; each later tick (days 2, 3, 4, 9, 20, 28,
    # 30, 31 at 10:00) finds one slot due and schedules the next 09:00: 8 nudges.
    assert ada.count("nudge") == 8
