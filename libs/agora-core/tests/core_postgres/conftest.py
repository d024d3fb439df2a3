"""Fixtures of the PostgreSQL core tests: a migrated database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from agora_core.postgres import Database, create_pool
from agora_core.postgres.migrations import upgrade_async
from core_postgres.world import COUNTER_MIGRATIONS


@pytest.fixture
async def counters_db(postgres_dsn: str) -> AsyncIterator[Database]:
    await upgrade_async(COUNTER_MIGRATIONS, postgres_dsn)
    pool = create_pool(postgres_dsn, application_name="core-postgres-test", max_size=8)
    await pool.open()
    yield Database(pool)
    await pool.close()
