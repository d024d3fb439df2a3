"""The query-plan helpers tests use to prove a list view has its index (real server)."""

from __future__ import annotations

import pytest

from agora_core.postgres import Database
from agora_core.testing.postgres import assert_index_serves, query_plan

pytestmark = pytest.mark.integration

_NEWEST_NOTES = "SELECT note_id FROM notes WHERE tenant_id = %s ORDER BY create_time DESC LIMIT 10"


async def test_an_indexed_list_passes(notes_db: Database) -> None:
    plan = await query_plan(notes_db, _NEWEST_NOTES, ("acme",), tenant_id="acme")

    assert_index_serves(plan, "notes_by_time")


async def test_a_query_no_index_serves_fails_and_shows_the_plan(notes_db: Database) -> None:
    plan = await query_plan(
        notes_db, "SELECT note_id FROM notes WHERE body = %s", ("x",), tenant_id="acme"
    )

    with pytest.raises(AssertionError, match="rows read then dropped"):
        assert_index_serves(plan, "notes_by_time")


async def test_an_order_the_index_does_not_give_fails(notes_db: Database) -> None:
    plan = await query_plan(
        notes_db,
        "SELECT note_id FROM notes WHERE tenant_id = %s ORDER BY title LIMIT 10",
        ("acme",),
        tenant_id="acme",
    )

    with pytest.raises(AssertionError, match="sorted after reading"):
        assert_index_serves(plan, "notes_by_time")
