"""The unit of work and tenant isolation on the real server: state and outbox rows
commit together or not at all; row-level security stops a query that forgot its
tenant; hostile strings reach SQL only as parameters; list queries use their index."""

from __future__ import annotations

import datetime as dt
import uuid

import psycopg
import pytest
from core_grpc.notes_servicer import Note
from core_grpc.notes_store import PostgresNotes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agora_core.messaging.events import OutgoingEvent
from agora_core.postgres import Database, create_pool
from core_postgres.world import count_rows

pytestmark = pytest.mark.integration


def _note(note_id: str, title: str = "t", author: str = "ana") -> Note:
    return Note(
        note_id=note_id,
        title=title,
        body="",
        author_id=author,
        create_time=dt.datetime(2026, 12, 6, tzinfo=dt.UTC),
    )


def _event(tenant: str) -> OutgoingEvent:
    return OutgoingEvent(
        event_id=str(uuid.uuid4()),
        topic="agora.test.notes.v1",
        key="n",
        headers={"ce_type": "org.agora.test.note.created.v1", "ce_tenantid": tenant},
        value=b'{"note_id": "n"}',
    )


async def test_state_and_outbox_rows_commit_together_or_not_at_all(notes_db: Database) -> None:
    class Refused(Exception):
        pass

    async def change_then_refuse() -> None:
        async with notes_db.unit_of_work("acme") as uow:
            await PostgresNotes(notes_db, "acme").add(_note("before"))  # its own transaction
            await uow.connection.execute(
                "INSERT INTO notes (tenant_id, note_id, title, body, author_id, create_time) "
                "VALUES ('acme', 'rolled-back', 't', '', 'ana', now())"
            )
            uow.add_events([_event("acme")])
            raise Refused

    with pytest.raises(Refused):
        await change_then_refuse()
    assert await PostgresNotes(notes_db, "acme").get("rolled-back") is None
    assert await PostgresNotes(notes_db, "acme").get("before") is not None
    assert await count_rows(notes_db, "outbox") == 0

    async with notes_db.unit_of_work("acme") as uow:
        await uow.connection.execute(
            "INSERT INTO notes (tenant_id, note_id, title, body, author_id, create_time) "
            "VALUES ('acme', 'kept', 't', '', 'ana', now())"
        )
        uow.add_events([_event("acme")])
    assert await PostgresNotes(notes_db, "acme").get("kept") is not None
    assert await count_rows(notes_db, "outbox") == 1


async def test_row_level_security_is_a_second_wall(notes_db: Database) -> None:
    await PostgresNotes(notes_db, "acme").add(_note("a1"))
    # A query that forgot its tenant condition still sees only its tenant's rows.
    async with notes_db.unit_of_work("globex") as uow:
        cursor = await uow.connection.execute("SELECT count(*) FROM notes")
        assert await cursor.fetchone() == (0,)
    async with notes_db.unit_of_work("acme") as uow:
        cursor = await uow.connection.execute("SELECT count(*) FROM notes")
        assert await cursor.fetchone() == (1,)
    # No tenant in scope at all: refused, not "every tenant".
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="no tenant in scope"):
        async with notes_db.unit_of_work() as uow:
            await uow.connection.execute("SELECT count(*) FROM notes")
    # Writing a row of another tenant is refused too.
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        async with notes_db.unit_of_work("globex") as uow:
            await uow.connection.execute(
                "INSERT INTO notes (tenant_id, note_id, title, body, author_id, create_time) "
                "VALUES ('acme', 'sneaky', 't', '', 'eve', now())"
            )
    assert await PostgresNotes(notes_db, "acme").get("sneaky") is None


async def test_the_tenant_setting_does_not_outlive_its_transaction(
    notes_db: Database, postgres_dsn: str
) -> None:
    """Pooled (and PgBouncer-shared) connections carry no tenant into the next use."""
    pool = create_pool(postgres_dsn, application_name="uow-test", min_size=1, max_size=1)
    await pool.open()
    try:
        async with Database(pool).unit_of_work("acme") as uow:
            pid = uow.connection.info.backend_pid
        async with pool.connection() as connection:
            assert connection.info.backend_pid == pid  # the same server connection again
            cursor = await connection.execute("SELECT current_setting('agora.tenant_id', true)")
            assert await cursor.fetchone() in {("",), (None,)}
    finally:
        await pool.close()


_HOSTILE = st.text(
    alphabet=st.characters(exclude_characters="\x00", exclude_categories=["Cs"]),
    max_size=60,
) | st.sampled_from(
    [
        "'; DROP TABLE notes; --",
        "acme' OR '1'='1",
        "$$ SELECT 1 $$",
        "%s %(x)s {}",
        "\\'); DELETE FROM outbox; --",
        "Robert'); SET row_security = off; --",
    ]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tenant=_HOSTILE.filter(lambda s: s.strip() != ""), note_id=_HOSTILE, title=_HOSTILE)
async def test_hostile_strings_are_only_ever_parameters(
    notes_db: Database, tenant: str, note_id: str, title: str
) -> None:
    notes = PostgresNotes(notes_db, tenant)
    await notes.add(_note(note_id, title=title, author=title))
    stored = await notes.get(note_id)
    assert stored is not None
    assert (stored.note_id, stored.title, stored.author_id) == (note_id, title, title)
    assert await notes.delete(note_id)
    # Nothing else was touched: the tables are there and empty again.
    async with notes_db.unit_of_work(tenant) as uow:
        cursor = await uow.connection.execute("SELECT count(*) FROM notes")
        assert await cursor.fetchone() == (0,)


async def test_a_nul_byte_is_a_clear_data_error(notes_db: Database) -> None:
    with pytest.raises(psycopg.DataError, match="NUL"):
        await PostgresNotes(notes_db, "acme").add(_note("n", title="a\x00b"))


async def test_the_list_query_reads_its_index_not_the_table(
    notes_db: Database, postgres_dsn: str
) -> None:
    # 20,000 notes over 20 tenants; one tenant's first page must be an index range scan.
    async with await psycopg.AsyncConnection.connect(postgres_dsn, autocommit=True) as owner:
        await owner.execute("ALTER TABLE notes NO FORCE ROW LEVEL SECURITY")
        await owner.execute(
            "INSERT INTO notes (tenant_id, note_id, title, body, author_id, create_time) "
            "SELECT 't' || (i % 20), 'n' || i, 'title', '', 'ana', "
            "now() - i * interval '1 second' FROM generate_series(1, 20000) AS i"
        )
        await owner.execute("ALTER TABLE notes FORCE ROW LEVEL SECURITY")
        await owner.execute("ANALYZE notes")
    async with notes_db.unit_of_work("t3") as uow:
        cursor = await uow.connection.execute(
            "EXPLAIN SELECT note_id, title, body, author_id, create_time FROM notes "
            "WHERE tenant_id = %s AND (create_time, note_id) > (%s, %s) "
            "ORDER BY create_time, note_id LIMIT 50",
            ("t3", dt.datetime(2000, 1, 1, tzinfo=dt.UTC), ""),
        )
        plan = "\n".join(row[0] for row in await cursor.fetchall())
    assert "notes_by_time" in plan, plan
    assert "Seq Scan" not in plan, plan
