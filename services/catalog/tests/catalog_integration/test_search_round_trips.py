"""A search's round trips: the use case runs it in a pipelined unit of work, where
BEGIN, the tenant and the scan settings leave with the statement after them. Same
pages as a plain unit of work, three round trips fewer, and the scan settings are back
to their defaults for whatever follows in the transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from agora_catalog.adapters.postgres.search import PostgresItemSearch
from agora_catalog.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_catalog.domain.inputs import SearchIn
from agora_catalog.domain.search import SearchFilter, SearchQuery, query_words
from agora_catalog.migrations import MIGRATIONS
from agora_catalog.service_layer.search import Search
from agora_core.identity import Principal, Role
from agora_core.postgres import Database
from agora_core.testing.postgres import migrated_database
from agora_core.testing.round_trips import round_trips

from .fill import fill, md5_of

pytestmark = pytest.mark.integration

T = "acme"
NOW = datetime(2026, 12, 6, tzinfo=UTC)


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS, max_size=1) as db:
        await fill(db, T)
        yield db


async def test_a_rare_word_is_searched_in_five_round_trips_instead_of_eight(
    database: Database,
) -> None:
    # md5(7) is the first word of i-7 and the second of i-1: the walk finds too few,
    # the head ranks both with bitmap scans alone, the body-only group finds none.
    word = md5_of(7)
    learner = Principal("u-1", T, frozenset({Role.LEARNER}))
    async with round_trips(database) as pipelined:
        page = await Search(PostgresUnitOfWorkFactory(database)).search(
            learner, SearchIn(query=word), "", 20
        )
    query = SearchQuery(query_words(word), SearchFilter(status="published"), "relevance")
    async with round_trips(database) as plain, database.unit_of_work(T) as uow:
        found = await PostgresItemSearch(uow.connection, T).search(
            query, ranked_at=NOW, fuzzy=False, after=None, limit=21
        )
    assert sorted(item.item_id for item in page.items) == ["i-1", "i-7"]
    assert [item.item_id for item in page.items] == [item.item_id for item, _ in found]
    # compile, walk, head, body-only group, COMMIT; plain: BEGIN with the tenant and
    # the two switches of the scan settings besides.
    assert (pipelined.count, plain.count) == (5, 8)


async def test_the_scan_settings_are_back_after_a_pipelined_search(database: Database) -> None:
    query = SearchQuery(query_words(md5_of(7)), SearchFilter(status="published"), "relevance")
    async with database.unit_of_work(T, pipelined=True) as uow:
        await PostgresItemSearch(uow.connection, T).search(
            query, ranked_at=NOW, fuzzy=False, after=None, limit=21
        )
        cursor = await uow.connection.execute(
            "SELECT current_setting('enable_seqscan'), current_setting('enable_indexscan'), "
            "current_setting('jit')"
        )
        assert await cursor.fetchone() == ("on", "on", "off")
