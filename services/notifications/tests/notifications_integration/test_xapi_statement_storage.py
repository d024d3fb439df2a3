"""xAPI statements on PostgreSQL: one per statement id, a person's read back in order,
the retention purge per tenant."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from agora_core.testing.postgres import migrated_database
from agora_notifications.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_notifications.migrations import MIGRATIONS

pytestmark = pytest.mark.integration

T = "t-xapi"
AT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


@pytest.fixture
async def units(postgres_dsn: str) -> AsyncIterator[PostgresUnitOfWorkFactory]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as database:
        yield PostgresUnitOfWorkFactory(database)


async def test_statements_once_per_id_and_purged_after_retention(
    units: PostgresUnitOfWorkFactory,
) -> None:
    ids = [uuid.uuid5(uuid.NAMESPACE_URL, f"event-{n}") for n in range(3)]
    async with units(T) as uow:
        repo = uow.xapi_statements
        for n, statement_id in enumerate(ids):
            added = await repo.add_once(
                statement_id,
                actor_id="u-1" if n < 2 else "u-2",
                verb="http://adlnet.gov/expapi/verbs/completed",
                stored_at=AT + timedelta(minutes=n),
                statement={"id": str(statement_id), "n": n},
            )
            assert added
        assert not await repo.add_once(
            ids[0], actor_id="u-1", verb="x", stored_at=AT, statement={"id": "again"}
        ), "the same statement id is projected once"
        assert [s["n"] for s in await repo.of_actor("u-1")] == [0, 1]
    async with units("t-other") as uow:
        assert await uow.xapi_statements.of_actor("u-1") == []
        assert await uow.xapi_statements.purge_before(AT + timedelta(days=1)) == 0
    async with units(T) as uow:
        assert await uow.xapi_statements.purge_before(AT + timedelta(minutes=1)) == 1
        assert [s["n"] for s in await uow.xapi_statements.of_actor("u-1")] == [1]
