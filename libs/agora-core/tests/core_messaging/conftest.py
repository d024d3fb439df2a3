"""Fixtures of the consumer pipeline tests: a migrated counters database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from core_postgres.world import COUNTER_MIGRATIONS

from agora_core.postgres import Database
from agora_core.testing.postgres import migrated_database


@pytest.fixture
async def counters_db(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, COUNTER_MIGRATIONS) as database:
        yield database
