"""The consumed-event intake on PostgreSQL, in one unit of work per event: an
assignment notifies the learner, is tracked with its reminder and alert slots; work
started and completed moves the slots; the catalog and what a person learnt are
projected; a matching webhook subscription gets one queued delivery. Re-applying an
event changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agora_contracts.events.domains import catalog, learning
from agora_core.messaging.events import ReceivedEvent
from agora_core.postgres import Database
from agora_core.testing.postgres import migrated_database
from agora_notifications.adapters.email_rendering import EmailRenderer
from agora_notifications.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_notifications.domain.model import DeliveryState
from agora_notifications.domain.webhooks import WebhookSecret, WebhookSubscription
from agora_notifications.migrations import MIGRATIONS
from agora_notifications.service_layer.event_intake import Intake, IntakePolicy
from agora_notifications.service_layer.notify import EmailLinks
from agora_notifications.service_layer.webhook_routing import SubscriptionCache

from .received import received

pytestmark = pytest.mark.integration

T = "t-intake"
AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ASSIGNED = "org.agora.learning.assignment.created.v1"


class Clock:
    def now(self) -> datetime:
        return AT


class Waker:
    def __init__(self) -> None:
        self.woken = 0

    def notify(self) -> None:
        self.woken += 1


def _received(payload: Any, subject: str = "u-ada") -> ReceivedEvent[Any]:
    return received(payload, tenant=T, subject=subject)


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as migrated:
        yield migrated


async def _rows(database: Database, sql: str) -> list[tuple[Any, ...]]:
    async with database.unit_of_work(T) as core:
        cursor = await core.connection.execute(sql)
        return list(await cursor.fetchall())


async def test_events_notify_project_and_fan_out_once(database: Database) -> None:
    units = PostgresUnitOfWorkFactory(database)
    async with units(T) as uow:
        await uow.webhook_subscriptions.add(
            WebhookSubscription(
                subscription_id="whs-1",
                url="https://hooks.example/in",
                event_types=(ASSIGNED,),
                subjects=(),
                description="",
                created_at=AT,
                updated_at=AT,
                secrets=(WebhookSecret("sec-1", "c2VjcmV0", AT),),
            )
        )
    worker = Waker()
    intake = Intake(
        renderer=EmailRenderer(),
        links=EmailLinks("http://127.0.0.1:9/", "unsubscribe-secret"),
        subscriptions=SubscriptionCache(units, ttl=60),
        clock=Clock(),
        worker=worker,
        policy=IntakePolicy(reminder_inactivity=3 * DAY, due_soon=2 * DAY, digest_hour=8),
    )
    assigned = _received(
        learning.AssignmentCreatedV1(
            assignment_id="as-1",
            learner_id="u-ada",
            assigned_by="u-boss",
            target_kind="knowledge",
            target_id="k-sec",
            target_title="Security basics",
            due_at=AT + 30 * DAY,
            compliance=True,
            assigned_at=AT,
        ),
        "u-ada",
    )
    published = _received(
        catalog.KnowledgePublishedV1(
            item_id="k-short",
            item_type="video",
            title="Passwords in 4 minutes",
            author_id="u-grace",
            version=1,
            language="en",
            estimated_minutes=4,
            validated=False,
            published_at=AT,
        ),
        "k-short",
    )
    completed = _received(
        learning.KnowledgeCompletedV1(
            learner_id="u-ada",
            item_id="k-sec",
            item_type="video",
            item_title="Security basics",
            completed_at=AT + DAY,
        ),
        "u-ada",
    )
    for _ in range(2):  # a redelivered event changes nothing
        for event in (assigned, published):
            async with units(T) as uow:
                await intake.handle(event, uow)

    assert await _rows(database, "SELECT recipient_id, category FROM notifications") == [
        ("u-ada", "assignment_created")
    ]
    assert await _rows(database, "SELECT work_id, due_at FROM reminder_queue") == [
        ("k-sec", AT + 3 * DAY)
    ]
    assert await _rows(database, "SELECT work_id, due_at FROM assignment_queue") == [
        ("k-sec", AT + 28 * DAY)
    ]
    webhooks = await _rows(
        database, "SELECT delivery_id, subscription_id, state, event_type FROM deliveries"
    )
    assert webhooks == [
        (f"wh:whs-1:{assigned.event_id}", "whs-1", DeliveryState.PENDING.value, ASSIGNED)
    ]
    assert await _rows(database, "SELECT delivery_id, due_at FROM delivery_queue") == [
        (f"wh:whs-1:{assigned.event_id}", AT)
    ]
    assert worker.woken == 1, "woken once: the redelivery made nothing new"
    assert await _rows(database, "SELECT item_id, estimated_minutes FROM catalog_items") == [
        ("k-short", 4)
    ]

    async with units(T) as uow:
        await intake.handle(completed, uow)
    assert await _rows(database, "SELECT count(*) FROM reminder_queue") == [(0,)]
    assert await _rows(database, "SELECT count(*) FROM assignment_queue") == [(0,)]
    async with units(T) as uow:
        assert await uow.people.interests("u-ada") == ([], ["k-sec"], [])
