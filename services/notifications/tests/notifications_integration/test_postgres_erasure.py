"""Erasure on PostgreSQL: what the person's steps delete, what they scrub in what others
received, queue rows going with their rows, every table covered, a second run a no-op."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from agora_contracts.events.domains.privacy import ERASED_PERSON_PLACEHOLDER
from agora_core.postgres import Database
from agora_core.testing.postgres import migrated_database
from agora_notifications.adapters.postgres.erasure import person_eraser
from agora_notifications.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_notifications.domain.deliveries import Delivery, EmailContent, WebhookContent
from agora_notifications.domain.inbox import Notification
from agora_notifications.domain.model import DeliveryState
from agora_notifications.migrations import MIGRATIONS

pytestmark = pytest.mark.integration

T = "t-erase"
ADA, BOB = "u-ada", "u-bob"
AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as migrated:
        yield migrated


def _note(nid: str, recipient: str, body: str) -> Notification:
    return Notification(nid, recipient, "comment_posted", "New comment", body, AT)


def _email(did: str, recipient: str, text: str) -> Delivery:
    return Delivery(
        id=did,
        tenant_id=T,
        channel="email",
        state=DeliveryState.PENDING,
        create_time=AT,
        recipient_id=recipient,
        email=EmailContent(f"{recipient}@example.com", "New comment", text, f"<p>{text}</p>", "x"),
    )


def _webhook(did: str, actor: str) -> Delivery:
    return Delivery(
        id=did,
        tenant_id=T,
        channel="webhook",
        state=DeliveryState.PENDING,
        create_time=AT,
        subscription_id="whs-1",
        webhook=WebhookContent('{"data": {}}', {"ce_actorid": actor, "ce_id": did}),
    )


async def _seed(database: Database) -> None:
    units = PostgresUnitOfWorkFactory(database)
    async with units(T) as uow:
        await uow.inbox.add_once(_note("n-1", ADA, "u-bob commented"))
        await uow.inbox.add_once(_note("n-2", BOB, "u-ada commented. Reply to u-ada!"))
        await uow.inbox.add_once(_note("n-3", BOB, "u-adam commented"))
        deliveries = [
            _email("d-1", ADA, "u-bob commented"),
            _email("d-2", BOB, "u-ada commented"),
            _webhook("d-3", ADA),
            _webhook("d-4", BOB),
        ]
        for delivery in deliveries:
            await uow.deliveries.add_once(delivery)
        await uow.delivery_queue.enqueue(T, [(d.id, AT) for d in deliveries])
    async with database.unit_of_work(T) as core:
        for person in (ADA, BOB):
            params = {"t": T, "p": person, "at": AT}
            for statement in (
                "INSERT INTO people (tenant_id, person_id, email) VALUES (%(t)s, %(p)s, 'x@y.z')",
                "INSERT INTO nudge_queue (tenant_id, person_id, due_at)"
                " VALUES (%(t)s, %(p)s, %(at)s)",
                "INSERT INTO preference_layers (tenant_id, scope, scope_id, update_time)"
                " VALUES (%(t)s, 'person', %(p)s, %(at)s)",
                "INSERT INTO tracked_work (tenant_id, learner_id, kind, work_id)"
                " VALUES (%(t)s, %(p)s, 'path', 'p-1')",
                "INSERT INTO reminder_queue (tenant_id, learner_id, kind, work_id, due_at)"
                " VALUES (%(t)s, %(p)s, 'path', 'p-1', %(at)s)",
                "INSERT INTO assignment_queue (tenant_id, learner_id, kind, work_id, due_at)"
                " VALUES (%(t)s, %(p)s, 'path', 'p-1', %(at)s)",
                "INSERT INTO digest_queue (tenant_id, recipient_id, due_at)"
                " VALUES (%(t)s, %(p)s, %(at)s)",
                "INSERT INTO xapi_statements (tenant_id, statement_id, actor_id, verb, stored_at,"
                " statement) VALUES (%(t)s, gen_random_uuid(), %(p)s, 'completed', %(at)s, '{}')",
            ):
                await core.connection.execute(statement, params)


async def _rows(database: Database, query: str) -> list[tuple[object, ...]]:
    async with database.unit_of_work(T) as core:
        cursor = await core.connection.execute(query)
        return list(await cursor.fetchall())


async def test_erasure_deletes_theirs_and_scrubs_what_others_received(database: Database) -> None:
    await _seed(database)
    eraser = person_eraser(database)
    async with database.unit_of_work(T) as core:
        counts = await eraser.erase(core, T, ADA)
    assert counts.changed > 0
    assert await eraser.tombstones.is_erased(T, ADA)

    bob_sees = "[deleted user] commented. Reply to [deleted user]!"
    assert ERASED_PERSON_PLACEHOLDER == "[deleted user]"
    assert await _rows(
        database, "SELECT notification_id, recipient_id, body FROM notifications ORDER BY 1"
    ) == [("n-2", BOB, bob_sees), ("n-3", BOB, "u-adam commented")]
    assert await _rows(
        database, "SELECT delivery_id, email ->> 'text' FROM deliveries ORDER BY 1"
    ) == [("d-2", "[deleted user] commented"), ("d-4", None)]
    assert await _rows(database, "SELECT delivery_id FROM delivery_queue ORDER BY 1") == [
        ("d-2",),
        ("d-4",),
    ]
    for table, column in (
        ("people", "person_id"),
        ("nudge_queue", "person_id"),
        ("preference_layers", "scope_id"),
        ("tracked_work", "learner_id"),
        ("reminder_queue", "learner_id"),
        ("assignment_queue", "learner_id"),
        ("digest_queue", "recipient_id"),
        ("xapi_statements", "actor_id"),
    ):
        assert await _rows(database, f"SELECT {column} FROM {table}") == [(BOB,)], table  # noqa: S608

    async with database.unit_of_work(T) as core:
        again = await eraser.erase(core, T, ADA)
    assert again.changed == 0, "a second erasure changes nothing"


async def test_every_table_is_covered_by_a_step_or_declared_not_personal(
    database: Database,
) -> None:
    async with database.unit_of_work() as core:
        cursor = await core.connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        tables = [name for (name,) in await cursor.fetchall()]
    assert "notifications" in tables
    assert person_eraser(database).uncovered(tables) == []
