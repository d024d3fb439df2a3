"""Every list view is served by its named index: no whole-table read, no rows read
then dropped, no sort after reading (EXPLAIN of the repositories' own SQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from agora_community.adapters.postgres import (
    comments,
    experts,
    likes,
    moderation,
    people,
    questions,
)
from agora_community.adapters.postgres import spaces as space_sql
from agora_community.migrations import MIGRATIONS
from agora_core.postgres import Database
from agora_core.testing.postgres import assert_index_serves, migrated_database, query_plan

pytestmark = pytest.mark.integration

TENANT = "t-plans"
AT = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as migrated:
        yield migrated


async def served_by(
    database: Database, sql: str, params: tuple[Any, ...], index: str, **allowed: bool
) -> None:
    assert_index_serves(await query_plan(database, sql, params, tenant_id=TENANT), index, **allowed)


async def test_thread_pages_are_index_range_reads(database: Database) -> None:
    first = (TENANT, "knowledge", "k-1", 51)
    after = (TENANT, "knowledge", "k-1", AT, "c-1", 51)
    for with_hidden, index in ((False, "comments_thread_visible"), (True, "comments_thread")):
        await served_by(database, comments.thread_sql(with_hidden, False), first, index)
        await served_by(database, comments.thread_sql(with_hidden, True), after, index)


async def test_trending_is_read_in_rank_order(database: Database) -> None:
    await served_by(database, likes.TRENDING, (TENANT, 20), "popularity_trending")
    await served_by(
        database, likes.TRENDING_OF_KIND, (TENANT, "knowledge", 20), "popularity_trending_by_type"
    )


async def test_space_lists_are_index_reads(database: Database) -> None:
    await served_by(database, space_sql.MY_SPACES, (TENANT, "u-1", 51), "memberships_of_person")
    await served_by(
        database,
        space_sql.MY_SPACES_AFTER,
        (TENANT, "u-1", AT, AT, "s-1", 51),
        "memberships_of_person",
        filtered=True,  # the keyset's OR: bounded by the index, the tie checked per row
    )
    await served_by(database, space_sql.MEMBERS, (TENANT, "s-1", 51), "memberships_of_space")
    await served_by(
        database, space_sql.MEMBERS_AFTER, (TENANT, "s-1", AT, "u-1", 51), "memberships_of_space"
    )
    await served_by(
        database,
        space_sql.DISCOVER,
        (TENANT, "gu%", "", "", "u-1", 51),
        "spaces_by_name",
        filtered=True,  # the spaces the caller is already in are skipped as read
    )


async def test_unanswered_questions_moderation_queue_and_experts_are_index_reads(
    database: Database,
) -> None:
    unanswered = questions.unanswered_sql
    await served_by(
        database,
        unanswered(skill=False, space=False, keyset=True),
        (TENANT, AT, "q-1", 51),
        "questions_unanswered",
    )
    await served_by(
        database,
        unanswered(skill=False, space=True, keyset=False),
        (TENANT, "s-1", 51),
        "questions_unanswered_in_space",
    )
    await served_by(
        database,
        unanswered(skill=True, space=False, keyset=False),
        (TENANT, "git", 51),
        "question_skills_by_time",
    )
    await served_by(
        database,
        moderation.open_queue_sql(space=False, keyset=True),
        (TENANT, AT, "r-1", 51),
        "reports_open",
    )
    await served_by(
        database,
        moderation.open_queue_sql(space=True, keyset=False),
        (TENANT, "s-1", 51),
        "reports_open_in_space",
    )
    await served_by(
        database, experts.by_skill_sql(keyset=False), (TENANT, "git", 51), "experts_by_skill"
    )
    await served_by(
        database,
        experts.by_skill_sql(keyset=True),
        (TENANT, "git", 3.0, 3.0, "u-1", 51),
        "experts_by_skill",
        filtered=True,  # the keyset's OR, as above
    )


async def test_my_questions_are_a_backwards_range_read(database: Database) -> None:
    of_asker = questions.of_asker_sql
    await served_by(database, of_asker(keyset=False), (TENANT, "u-1", 51), "questions_of_asker")
    await served_by(
        database, of_asker(keyset=True), (TENANT, "u-1", AT, "q-1", 51), "questions_of_asker"
    )


async def test_people_search_is_a_range_read_of_the_name_keys(database: Database) -> None:
    await served_by(
        database,
        people.search_sql(keyset=False),
        (TENANT, "le", "le\U0010ffff", 51),
        "people_by_name_key",
    )
    await served_by(
        database,
        people.search_sql(keyset=True),
        (TENANT, "le", "le\U0010ffff", "leroy", "emma", 51),
        "people_by_name_key",
    )
