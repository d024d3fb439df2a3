"""Every list and search query of the catalog is served by the index named for it in
the migration: no table read whole, no rows read then dropped, no sort after reading
(except a relevance ranking, which must read its matches to rank them).

The typo fallback (``items_trigram``) and the array filters (``items_skills``,
``items_themes``) have GIN indexes too; on test-sized data the planner rightly reads
the tenant's rows instead, so their use is not asserted here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, cast

import pytest
from psycopg import sql

from agora_catalog.adapters.postgres.assignments import assignments_page
from agora_catalog.adapters.postgres.paths import published_paths
from agora_catalog.adapters.postgres.progress import progress_page
from agora_catalog.adapters.postgres.quizzes import SKILLS_REPORT
from agora_catalog.adapters.postgres.search import PostgresItemSearch, search_statement
from agora_catalog.adapters.postgres.search_body_sql import BODY_FEW, body_few, body_walk
from agora_catalog.adapters.postgres.search_sql import FTS_QUERY, WALK_MATCHES, compiled_query
from agora_catalog.domain.search import SearchFilter, SearchQuery, Sort, query_words
from agora_catalog.migrations import MIGRATIONS
from agora_core.postgres import Database
from agora_core.testing.postgres import assert_index_serves, migrated_database, query_plan

from .fill import fill, md5_of

pytestmark = pytest.mark.integration

T = "acme"
NOW = datetime(2026, 12, 6, tzinfo=UTC)


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as db:
        await fill(db, T, "other")
        yield db


async def gin_plan(database: Database, statement: str, params: Any) -> dict[str, Any]:
    """The plan with only bitmap scans allowed: a GIN index (full text, trigrams,
    arrays) is only ever read through a bitmap, and the question is whether one can
    serve the query (on a small test table the planner rightly prefers a scan)."""
    async with database.unit_of_work(T) as uow:
        for method in ("seqscan", "indexscan", "indexonlyscan"):
            await uow.connection.execute(f"SET LOCAL enable_{method} = off")
        cursor = await uow.connection.execute(
            sql.SQL("EXPLAIN (FORMAT JSON) {}").format(sql.SQL(statement)), params
        )
        row = await cursor.fetchone()
    assert row is not None
    plan: dict[str, Any] = row[0][0]["Plan"]
    return plan


async def planned(database: Database, statement: tuple[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``query_plan`` of a statement with named parameters."""
    query, params = statement
    return await query_plan(database, query, cast("Sequence[Any]", params), tenant_id=T)


def search(words: str, sort: Sort, *, fuzzy: bool = False, **where: Any) -> tuple[str, Any]:
    query = SearchQuery(query_words(words), SearchFilter(status="published", **where), sort)
    return search_statement(T, query, ranked_at=NOW, fuzzy=fuzzy, after=None, limit=21)


@pytest.mark.parametrize(
    ("sort", "index"), [("recency", "items_recent"), ("popularity", "items_popular")]
)
async def test_browsing_the_catalogue_reads_its_index_in_order(
    database: Database, sort: Sort, index: str
) -> None:
    plan = await planned(database, search("", sort))
    assert_index_serves(plan, index)
    query = SearchQuery((), SearchFilter(status="published"), sort)
    key: Any = NOW if sort == "recency" else 3
    next_page = search_statement(T, query, ranked_at=NOW, fuzzy=False, after=(key, "x"), limit=21)
    assert_index_serves(await planned(database, next_page), index)


async def test_an_authors_drafts_are_read_from_the_authors_index(database: Database) -> None:
    query = SearchQuery((), SearchFilter(status="draft", author_id="u-grace"), "recency")
    statement = search_statement(T, query, ranked_at=NOW, fuzzy=False, after=None, limit=21)
    assert_index_serves(await planned(database, statement), "items_author")


async def test_full_text_search_reads_the_text_index(database: Database) -> None:
    plan = await gin_plan(database, *search("éducation financière", "relevance"))
    assert_index_serves(plan, "items_search", sorted_after=True)


async def test_relevance_reads_the_index_of_each_step(database: Database) -> None:
    # Step 1 walks items_popular in order (the head vector checked on each row, in the
    # row); step 2 reads the title-and-summary matches through items_head; step 3 every
    # match through items_search (the filters kept out of index reach), never a scan.
    query = SearchQuery(query_words("formation"), SearchFilter(status="published"), "relevance")
    walk = search_statement(
        T, query, ranked_at=NOW, fuzzy=False, after=None, limit=21, candidates="walk"
    )
    assert_index_serves(
        await planned(database, walk), "items_popular", filtered=True, sorted_after=True
    )
    head = search_statement(
        T, query, ranked_at=NOW, fuzzy=False, after=None, limit=21, candidates="head"
    )
    assert_index_serves(await gin_plan(database, *head), "items_head", sorted_after=True)
    themed = search("formation", "relevance", theme_id="tech", language="fr")
    assert_index_serves(await gin_plan(database, *themed), "items_search", sorted_after=True)


async def test_a_word_most_items_contain_is_ranked_among_the_most_popular_matches(
    database: Database,
) -> None:
    # Every published item matches "formation" in its title: the walk stops at the
    # WALK_MATCHES most popular (step 1), the page comes from them. A word of one item
    # is ranked as every match is (step 3); its page token's next page is empty.
    query = SearchQuery(query_words("formation"), SearchFilter(status="published"), "relevance")
    rare = SearchQuery(query_words(md5_of(8)), SearchFilter(status="published"), "relevance")
    async with database.unit_of_work(T) as uow:
        search = PostgresItemSearch(uow.connection, T)
        found = await search.search(query, ranked_at=NOW, fuzzy=False, after=None, limit=21)
        popular = await (
            await uow.connection.execute(
                "SELECT item_id FROM items WHERE tenant_id = %s AND status = 'published' "
                "ORDER BY popularity DESC, item_id DESC LIMIT %s",
                (T, WALK_MATCHES),
            )
        ).fetchall()
        one = await search.search(rare, ranked_at=NOW, fuzzy=False, after=None, limit=21)
        after = (one[0][1], one[0][0].item_id)
        beyond = await search.search(rare, ranked_at=NOW, fuzzy=False, after=after, limit=21)
    assert len(found) == 21
    assert {item.item_id for item, _ in found} <= {row[0] for row in popular}
    keys = [key for _, key in found]
    assert keys == sorted(keys, reverse=True)
    assert [item.item_id for item, _ in one] == ["i-8"]
    assert beyond == []


async def test_the_walk_stops_at_its_matches_and_the_query_drops_covered_branches(
    database: Database,
) -> None:
    # 2,700 published items match "formation": the walk's candidates are the
    # WALK_MATCHES most popular. The compiled query keeps French's 'format':* and drops
    # the plain 'formation':* it covers, matching the same items as all three branches.
    query = SearchQuery(query_words("formation"), SearchFilter(status="published"), "relevance")
    walk = search_statement(
        T, query, ranked_at=NOW, fuzzy=False, after=None, limit=21, candidates="walk"
    )
    async with database.unit_of_work(T) as uow:
        rows = await (await uow.connection.execute(walk[0], walk[1])).fetchall()
        compiled = await compiled_query(uow.connection, query)
        counts = await (
            await uow.connection.execute(
                f"SELECT count(*) FILTER (WHERE rank_vector @@ ({FTS_QUERY})), "  # noqa: S608
                "count(*) FILTER (WHERE rank_vector @@ %(compiled)s::tsquery) "
                "FROM items WHERE tenant_id = %(t)s",
                {"tsquery": "formation:*", "compiled": compiled, "t": T},
            )
        ).fetchone()
    assert {row[-2] for row in rows} == {WALK_MATCHES}
    assert compiled == "( 'format':* )"
    assert counts == (3000, 3000)


async def test_many_title_matches_rank_the_most_popular_of_them(database: Database) -> None:
    # Step 2's statement with a cap of 5: "formation" read through items_head, the 5
    # most popular title matches are the candidates ranked.
    query = SearchQuery(query_words("formation"), SearchFilter(status="published"), "relevance")
    async with database.unit_of_work(T) as uow:
        head = search_statement(
            T, query, ranked_at=NOW, fuzzy=False, after=None, limit=21, candidates="head", cap=5
        )
        rows = await (await uow.connection.execute(head[0], head[1])).fetchall()
        popular = await (
            await uow.connection.execute(
                "SELECT item_id FROM items WHERE tenant_id = %s AND status = 'published' "
                "ORDER BY popularity DESC, item_id DESC LIMIT 5",
                (T,),
            )
        ).fetchall()
    assert sorted(row[0] for row in rows) == sorted(row[0] for row in popular)


async def test_a_learners_progress_and_assignments_pages(database: Database) -> None:
    for after in (None, (NOW, "i-1")):
        plan = await query_plan(database, *progress_page(T, "u-ada", after, 51), tenant_id=T)
        assert_index_serves(plan, "progress_recent")
        mine = assignments_page(T, learner_id="u-ada", after=after, limit=51)
        assert_index_serves(await query_plan(database, *mine, tenant_id=T), "assignments_learner")
        team = assignments_page(T, assigned_by="u-boss", after=after, limit=101)
        assert_index_serves(await query_plan(database, *team, tenant_id=T), "assignments_assigner")


async def test_published_paths_pages(database: Database) -> None:
    for onboarding, index in ((False, "paths_recent"), (True, "paths_onboarding")):
        for after in (None, (NOW, "p-1")):
            statement = published_paths(T, onboarding, after, 51)
            assert_index_serves(await query_plan(database, *statement, tenant_id=T), index)


async def test_the_skills_report_reads_the_tenants_completions_once(database: Database) -> None:
    plan = await gin_plan(database, SKILLS_REPORT, {"t": T, "skills": ["s1", "s2"]})
    # One pass over the tenant's completions and attempts, grouped by skill.
    assert_index_serves(plan, "progress_completed", sorted_after=True)
    assert_index_serves(plan, "quiz_attempts_pkey", sorted_after=True)


BODY_WORD: Final = "zygomorphe"


async def _with_body_word(database: Database, every: int) -> None:
    """``BODY_WORD`` in the body (``search_vector`` alone) of every ``every``-th item."""
    async with database.unit_of_work(T) as uow:
        await uow.connection.execute(
            "UPDATE items SET search_vector = search_vector || to_tsvector('agora_fr', %s) "
            "WHERE tenant_id = %s AND substr(item_id, 3)::integer %% %s = 0",
            (BODY_WORD, T, every),
        )


async def test_the_body_only_group_reads_the_index_of_each_way(database: Database) -> None:
    # The bounded read of the group (counted, sorted) through items_search, the filters
    # out of index reach; the walk in popularity order through items_popular, from the key.
    query = SearchQuery(query_words(BODY_WORD), SearchFilter(status="published"), "relevance")
    compiled = "( 'zygomorph':* )"
    for after in (None, (40, "i-9")):
        few = body_few(T, query, compiled, after=after, limit=21)
        assert_index_serves(await gin_plan(database, *few), "items_search", sorted_after=True)
        walk = body_walk(T, query, compiled, after=after, limit=21)
        assert_index_serves(await planned(database, walk), "items_popular", filtered=True)


async def test_body_only_pages_walked_or_sorted_whole_are_the_same(database: Database) -> None:
    # 386 published body-only matches: sorted whole (the default) and walked (few = 10)
    # give the same pages in popularity order, each match once.
    await _with_body_word(database, 7)
    query = SearchQuery(query_words(BODY_WORD), SearchFilter(status="published"), "relevance")
    pages: dict[int, list[tuple[str, object]]] = {}
    async with database.unit_of_work(T) as uow:
        for few in (BODY_FEW, 10):
            search = PostgresItemSearch(uow.connection, T, body_few=few)
            seen: list[tuple[str, object]] = []
            after: tuple[float | int | datetime, str] | None = None
            while True:
                found = await search.search(
                    query, ranked_at=NOW, fuzzy=False, after=after, limit=21
                )
                seen.extend((item.item_id, key) for item, key in found[:20])
                if len(found) <= 20:
                    break
                after = (found[19][1], found[19][0].item_id)
            pages[few] = seen
        expected = await (
            await uow.connection.execute(
                "SELECT item_id, popularity FROM items WHERE tenant_id = %s "
                "AND status = 'published' AND substr(item_id, 3)::integer %% 7 = 0 "
                "ORDER BY popularity DESC, item_id DESC",
                (T,),
            )
        ).fetchall()
    assert pages[BODY_FEW] == pages[10] == [(row[0], row[1]) for row in expected]
    assert len(expected) == 386
