"""The unit of work's last round trip (outbox rows with COMMIT) and the pipelined unit
of work (BEGIN and the tenant leave with the first statement read) keep every guarantee
of the plain one: state and outbox rows commit together or not at all, the tenant
scopes every statement, a failing statement rolls everything back and raises."""

from __future__ import annotations

import datetime as dt
import uuid

import psycopg
import pytest
from core_grpc.notes_servicer import Note
from core_grpc.notes_store import PostgresNotes

from agora_core.messaging.events import OutgoingEvent
from agora_core.postgres import Database
from core_postgres.world import count_rows

pytestmark = pytest.mark.integration

_INSERT = (
    "INSERT INTO notes (tenant_id, note_id, title, body, author_id, create_time) "
    "VALUES (%s, %s, 't', '', 'ana', now()) RETURNING note_id"
)


def _event(tenant: str, event_id: str | None = None) -> OutgoingEvent:
    return OutgoingEvent(
        event_id=event_id or str(uuid.uuid4()),
        topic="agora.test.notes.v1",
        key="n",
        headers={"ce_type": "org.agora.test.note.created.v1", "ce_tenantid": tenant},
        value=b'{"note_id": "n"}',
    )


async def _note_exists(database: Database, tenant: str, note_id: str) -> bool:
    return await PostgresNotes(database, tenant).get(note_id) is not None


@pytest.mark.parametrize("pipelined", [False, True])
async def test_state_and_outbox_rows_commit_together(notes_db: Database, pipelined: bool) -> None:
    async with notes_db.unit_of_work("acme", pipelined=pipelined) as uow:
        cursor = await uow.connection.execute(_INSERT, ("acme", "kept"))
        assert await cursor.fetchone() == ("kept",)
        uow.add_events([_event("acme"), _event("acme")])
    assert await _note_exists(notes_db, "acme", "kept")
    assert await count_rows(notes_db, "outbox") == 2


@pytest.mark.parametrize("pipelined", [False, True])
async def test_a_failing_outbox_insert_rolls_the_state_back(
    notes_db: Database, pipelined: bool
) -> None:
    taken = str(uuid.uuid4())
    async with notes_db.unit_of_work("acme") as uow:
        uow.add_events([_event("acme", taken)])

    # The outbox insert fails (the event id is taken) in the same round trip as
    # COMMIT: the COMMIT must not run, and the note goes with the failed insert.
    async def insert_with_a_taken_event() -> None:
        async with notes_db.unit_of_work("acme", pipelined=pipelined) as uow:
            await uow.connection.execute(_INSERT, ("acme", "lost"))
            uow.add_events([_event("acme", taken)])

    with pytest.raises(psycopg.errors.UniqueViolation):
        await insert_with_a_taken_event()
    assert not await _note_exists(notes_db, "acme", "lost")
    assert await count_rows(notes_db, "outbox") == 1
    # The pooled connection is usable again, outside any transaction.
    async with notes_db.unit_of_work("acme", pipelined=pipelined) as uow:
        cursor = await uow.connection.execute(_INSERT, ("acme", "after"))
        assert await cursor.fetchone() == ("after",)
    assert await _note_exists(notes_db, "acme", "after")


async def test_an_exception_in_a_pipelined_unit_rolls_everything_back(notes_db: Database) -> None:
    class Refused(Exception):
        pass

    async def change_then_refuse() -> None:
        async with notes_db.unit_of_work("acme", pipelined=True) as uow:
            cursor = await uow.connection.execute(_INSERT, ("acme", "refused"))
            assert await cursor.fetchone() == ("refused",)
            uow.add_events([_event("acme")])
            raise Refused

    with pytest.raises(Refused):
        await change_then_refuse()
    assert not await _note_exists(notes_db, "acme", "refused")
    assert await count_rows(notes_db, "outbox") == 0


async def test_a_failing_statement_in_a_pipelined_unit_raises_and_rolls_back(
    notes_db: Database,
) -> None:
    async def insert_then_fail() -> None:
        async with notes_db.unit_of_work("acme", pipelined=True) as uow:
            await uow.connection.execute(_INSERT, ("acme", "first"))
            cursor = await uow.connection.execute("SELECT * FROM no_such_table")
            await cursor.fetchall()

    with pytest.raises(psycopg.errors.UndefinedTable):
        await insert_then_fail()
    assert not await _note_exists(notes_db, "acme", "first")


async def test_the_tenant_scopes_a_pipelined_unit(notes_db: Database) -> None:
    await PostgresNotes(notes_db, "acme").add(
        Note("a1", "t", "", "ana", dt.datetime(2026, 12, 7, tzinfo=dt.UTC))
    )
    # No tenant condition: row-level security alone keeps the other tenant out, so the
    # queued set_config applied to the statement it travelled with.
    for tenant, seen in (("acme", 1), ("globex", 0)):
        async with notes_db.unit_of_work(tenant, pipelined=True) as uow:
            cursor = await uow.connection.execute("SELECT count(*) FROM notes")
            assert await cursor.fetchone() == (seen,)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with notes_db.unit_of_work("globex", pipelined=True) as uow:
            await uow.connection.execute(_INSERT, ("acme", "sneaky"))
    assert not await _note_exists(notes_db, "acme", "sneaky")
