"""The use cases on the real PostgreSQL repositories, without gRPC: a like storm, the
bounded rate-limit windows, and counts that change with what they count."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agora_community.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_community.domain.model import CatalogTarget, TargetKind, Visibility
from agora_community.migrations import MIGRATIONS
from agora_community.service_layer import likes, spaces
from agora_community.service_layer.projections import target_published
from agora_community.service_layer.rate_limits import LIKE, POST, RateLimits, spend
from agora_core.errors import ResourceExhausted
from agora_core.identity import Principal
from agora_core.postgres import Database, create_pool
from agora_core.testing.postgres import migrated_database

pytestmark = pytest.mark.integration

TENANT = "t-storage"
ADA = Principal("u-ada", TENANT)
LIMITS = RateLimits(3600, {POST: 10_000, LIKE: 10_000})


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS, max_size=10) as migrated:
        yield migrated


async def rows(database: Database, query: str, *params: Any) -> list[tuple[Any, ...]]:
    async with database.unit_of_work(TENANT) as uow:
        cursor = await uow.connection.execute(query, params)
        return await cursor.fetchall()


async def test_a_thousand_concurrent_likes_of_one_person_leave_one_like_and_one_event(
    database: Database, postgres_dsn: str
) -> None:
    # The calls queue for connections (and then on the row's lock): a pool that lets
    # them wait as long as the storm lasts.
    pool = create_pool(postgres_dsn, application_name="like-storm", max_size=10, timeout=120)
    await pool.open()
    try:
        await _like_storm(PostgresUnitOfWorkFactory(Database(pool)))
    finally:
        await pool.close()
    assert await rows(database, "SELECT user_id, active FROM likes") == [("u-ada", True)]
    assert await rows(database, "SELECT type, aggregateid FROM outbox") == [
        ("org.agora.community.like.added.v1", "k-1")
    ]


async def _like_storm(uows: PostgresUnitOfWorkFactory) -> None:
    async with uows(TENANT) as uow:
        await target_published(
            uow,
            CatalogTarget(TargetKind.KNOWLEDGE, "k-1", "u-grace", None, "Rebase", (), False, None),
        )
    results = await asyncio.gather(
        *(likes.like(uows, ADA, LIMITS, TargetKind.KNOWLEDGE, "k-1") for _ in range(1000))
    )
    assert sum(results) == 1


async def test_rate_windows_keep_one_row_per_person_and_action_and_expired_ones_purge(
    database: Database,
) -> None:
    uows = PostgresUnitOfWorkFactory(database)
    limits = RateLimits(60, {POST: 2})
    start = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    for window in range(50):  # fifty windows in a row: still one row
        opens = start + timedelta(seconds=60 * window)
        for _ in range(2):
            async with uows(TENANT) as uow:
                count = await uow.rate_limits.spend(
                    POST, "u-ada", opens, opens + timedelta(seconds=60)
                )
        assert count == 2
    assert await rows(database, "SELECT action, user_id, count FROM rate_windows") == [
        (POST, "u-ada", 2)
    ]
    # The limit itself, on the current window: the third post is refused, not counted.
    for _ in range(2):
        async with uows(TENANT) as uow:
            await spend(uow, limits, POST, "u-bob")
    with pytest.raises(ResourceExhausted):
        async with uows(TENANT) as uow:
            await spend(uow, limits, POST, "u-bob")
    assert ("u-bob", 2) in await rows(database, "SELECT user_id, count FROM rate_windows")
    async with uows(TENANT) as uow:
        purged = await uow.rate_limits.purge_expired(datetime.now(UTC))
    assert purged == 1  # Ada's last window ended long ago; Bob's is current
    assert await rows(database, "SELECT user_id FROM rate_windows") == [("u-bob",)]


async def test_member_counts_change_in_the_transaction_of_the_membership(
    database: Database,
) -> None:
    uows = PostgresUnitOfWorkFactory(database)
    owner = Principal("u-grace", TENANT, frozenset())
    space = await spaces.create_space(
        uows, owner, name="Guild", description="", visibility=Visibility.OPEN, topic=""
    )
    people = [Principal(f"u-{n}", TENANT) for n in range(20)]
    await asyncio.gather(
        *(spaces.join_space(uows, p, space.space_id) for p in people for _ in range(3))
    )
    await asyncio.gather(*(spaces.leave_space(uows, p, space.space_id) for p in people[:5]))
    counted = await rows(database, "SELECT member_count FROM spaces")
    active = await rows(database, "SELECT count(*) FROM memberships WHERE state = 'active'")
    assert counted == active == [(16,)]
    joined = await rows(
        database, "SELECT count(*) FROM outbox WHERE type = 'org.agora.community.member.joined.v1'"
    )
    assert joined == [(21,)]
