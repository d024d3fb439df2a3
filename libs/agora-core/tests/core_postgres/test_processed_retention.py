"""Processed-event marks stay bounded: marks past the retention are purged in chunks,
newer ones are kept (they still absorb redeliveries)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from agora_core.postgres import Database
from agora_core.postgres.processed import purge_processed
from core_postgres.world import count_rows

pytestmark = pytest.mark.integration


async def test_marks_older_than_the_retention_are_purged(counters_db: Database) -> None:
    async with counters_db.pool.connection() as connection:
        await connection.execute(
            "INSERT INTO processed_events (tenant_id, group_id, event_id, event_type, "
            "processed_at) SELECT 'acme', 'g', gen_random_uuid(), 't', "
            "now() - (i % 2) * interval '30 days' FROM generate_series(1, 2500) AS i"
        )
    deleted = await purge_processed(counters_db.pool, timedelta(days=14), chunk=400)
    assert deleted == 1250
    assert await count_rows(counters_db, "processed_events") == 1250
    async with counters_db.pool.connection() as connection:
        cursor = await connection.execute(
            "SELECT count(*) FROM processed_events WHERE processed_at < now() - interval '1 day'"
        )
        assert await cursor.fetchone() == (0,)
    assert await purge_processed(counters_db.pool, timedelta(days=14)) == 0
