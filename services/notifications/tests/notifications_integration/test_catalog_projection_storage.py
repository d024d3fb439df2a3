"""The catalog projection and what people are learnt to follow, on PostgreSQL: the
nudge's pick is the shortest short unfinished item of the person's paths, else of their
skills; archived and completed items never; a republished path replaces its items."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from agora_core.testing.postgres import migrated_database
from agora_notifications.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_notifications.domain.catalog import ShortItem
from agora_notifications.migrations import MIGRATIONS

pytestmark = pytest.mark.integration

T = "t-catalog"


@pytest.fixture
async def units(postgres_dsn: str) -> AsyncIterator[PostgresUnitOfWorkFactory]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as database:
        yield PostgresUnitOfWorkFactory(database)


async def test_the_nudge_pick_and_what_people_follow(units: PostgresUnitOfWorkFactory) -> None:
    async with units(T) as uow:
        catalog = uow.catalog
        await catalog.item_published("k-long", "Long read", 90, ["s-rust"])
        await catalog.item_published("k-b", "Borrowing", 10, ["s-rust"])
        await catalog.item_published("k-a", "Ownership", 10, ["s-rust"])
        await catalog.item_published("k-gone", "Old", 5, ["s-rust"])
        await catalog.item_archived("k-gone")
        await catalog.item_published("k-sql", "Joins", 8, ["s-sql"])
        await catalog.path_published("p-rust", ["k-gone", "k-long", "k-a"])
        await catalog.path_published("p-rust", ["k-long", "k-a", "k-b"])  # replaces
        await uow.people.learnt("u-1", paths=["p-rust"], skills=["s-sql"])
        await uow.people.learnt("u-1", paths=["p-rust"], completed=["k-a"])  # idempotent
    async with units(T) as uow:
        paths, completed, skills = await uow.people.interests("u-1")
        assert (paths, completed, skills) == (["p-rust"], ["k-a"], ["s-sql"])
        pick = await uow.catalog.short_item_for(
            path_ids=paths, skill_ids=skills, completed=completed, max_minutes=15
        )
        assert pick == ShortItem("k-b", "Borrowing", 10)
        by_skill = await uow.catalog.short_item_for(
            path_ids=[], skill_ids=skills, completed=completed, max_minutes=15
        )
        assert by_skill == ShortItem("k-sql", "Joins", 8)
        none = await uow.catalog.short_item_for(
            path_ids=paths, skill_ids=[], completed=["k-a", "k-b"], max_minutes=15
        )
        assert none is None, "a long item is no nudge"
    async with units("t-other") as uow:
        assert await uow.people.interests("u-1") == ([], [], [])
        assert (
            await uow.catalog.short_item_for(
                path_ids=["p-rust"], skill_ids=["s-sql"], completed=[], max_minutes=60
            )
            is None
        )
