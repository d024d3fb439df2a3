"""``Database.read_once`` and ``read_batch``: tenant-scoped reads in one round trip
(the erased-caller check of every gRPC call, a leaderboard). Row-level security applies
to them, their tenant setting ends with them, and values reach SQL quoted by psycopg's
client-side binding, never as text."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from core_grpc.notes_servicer import Note
from core_grpc.notes_store import PostgresNotes
from hypothesis import HealthCheck, given, settings

from agora_core.postgres import Database, create_pool
from core_postgres.test_unit_of_work import _HOSTILE

pytestmark = pytest.mark.integration


def _note(note_id: str, title: str = "t") -> Note:
    return Note(
        note_id=note_id,
        title=title,
        body="",
        author_id="ana",
        create_time=dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
    )


async def test_row_level_security_scopes_the_read_to_its_tenant(notes_db: Database) -> None:
    await PostgresNotes(notes_db, "acme").add(_note("a1"))
    await PostgresNotes(notes_db, "acme").add(_note("a2", title="x"))
    await PostgresNotes(notes_db, "globex").add(_note("g1", title="x"))
    # No tenant condition in the query: the policy alone keeps the other tenant out.
    assert await notes_db.read_once("acme", "SELECT note_id FROM notes ORDER BY 1") == [
        ("a1",),
        ("a2",),
    ]
    assert await notes_db.read_once("globex", "SELECT note_id FROM notes") == [("g1",)]
    assert await notes_db.read_once(
        "acme", "SELECT count(*) FROM notes WHERE title = %s", ("x",)
    ) == [(1,)]
    assert await notes_db.read_once("initech", "SELECT note_id FROM notes") == []


async def test_its_tenant_setting_ends_with_the_read(postgres_dsn: str, notes_db: Database) -> None:
    pool = create_pool(postgres_dsn, application_name="read-once-test", min_size=1, max_size=1)
    await pool.open()
    try:
        database = Database(pool)
        assert await database.read_once("acme", "SELECT current_setting('agora.tenant_id')") == [
            ("acme",)
        ]
        async with pool.connection() as connection:  # the same server connection again
            assert connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            cursor = await connection.execute("SELECT current_setting('agora.tenant_id', true)")
            assert await cursor.fetchone() in {("",), (None,)}
        # A failing read raises and leaves the connection usable.
        with pytest.raises(psycopg.errors.UndefinedTable):
            await database.read_once("acme", "SELECT * FROM no_such_table")
        assert await database.read_once("acme", "SELECT 1") == [(1,)]
    finally:
        await pool.close()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tenant=_HOSTILE.filter(lambda s: s.strip() != ""), note_id=_HOSTILE, title=_HOSTILE)
async def test_hostile_strings_are_quoted_values(
    notes_db: Database, tenant: str, note_id: str, title: str
) -> None:
    notes = PostgresNotes(notes_db, tenant)
    await notes.add(_note(note_id, title=title))
    found = await notes_db.read_once(
        tenant, "SELECT title FROM notes WHERE note_id = %s AND title = ANY(%s)", (note_id, [title])
    )
    assert found == [(title,)]
    assert await notes.delete(note_id)
    assert await notes_db.read_once(tenant, "SELECT count(*) FROM notes") == [(0,)]


async def test_a_batch_reads_every_statement_as_its_tenant_in_one_message(
    notes_db: Database,
) -> None:
    await PostgresNotes(notes_db, "acme").add(_note("a1"))
    await PostgresNotes(notes_db, "globex").add(_note("g1"))
    counts, ids, setting = await notes_db.read_batch(
        "acme",
        [
            ("SELECT count(*) FROM notes", ()),
            ("SELECT note_id FROM notes WHERE title = %s ORDER BY 1", ("t",)),
            ("SELECT current_setting('agora.tenant_id')", ()),
        ],
    )
    assert (counts, ids, setting) == ([(1,)], [("a1",)], [("acme",)])
    assert await notes_db.read_batch("globex", [("SELECT note_id FROM notes", ())]) == [[("g1",)]]
