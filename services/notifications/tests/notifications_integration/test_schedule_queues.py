"""The scheduler's queues: due slots of every tenant claimed earliest first, two
claimers never given the same slot, a lost lease settles nothing, a crashed claim
retaken after its lease; each claim served by its queue's due index."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from agora_core.postgres import Database
from agora_core.testing.postgres import assert_index_serves, migrated_database, query_plan
from agora_notifications.adapters.postgres.schedule_queues import (
    PostgresScheduleClaims,
    PostgresScheduleSlots,
    claim_sql,
)
from agora_notifications.domain.schedule_queue import ScheduleQueue
from agora_notifications.migrations import MIGRATIONS

pytestmark = pytest.mark.integration

AT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as migrated:
        yield migrated


async def _nudge_slots(database: Database, count: int) -> None:
    async with database.unit_of_work() as core:
        await core.connection.execute(
            "INSERT INTO nudge_queue (tenant_id, person_id, due_at)"
            " SELECT 't-' || (g %% 3), 'u-' || g, %s + g * interval '1 second'"
            " FROM generate_series(1, %s) AS g",
            (AT, count),
        )


async def test_concurrent_claimers_share_the_due_slots_without_overlap(
    database: Database,
) -> None:
    await _nudge_slots(database, 60)
    claims = PostgresScheduleClaims(database)
    now = AT + timedelta(seconds=50)  # 50 due, 10 not yet
    owners = [uuid.uuid4() for _ in range(3)]
    got = await asyncio.gather(
        *(
            claims.claim(ScheduleQueue.NUDGES, now, limit=20, lease=LEASE, owner=owner)
            for owner in owners
        )
    )
    keys = [(c.tenant_id, c.key) for batch in got for c in batch]
    assert len(keys) == 50, "every due slot claimed"
    assert len(set(keys)) == 50, "no slot claimed twice"
    assert {c.tenant_id for batch in got for c in batch} == {"t-0", "t-1", "t-2"}
    leftover = await claims.claim(ScheduleQueue.NUDGES, now, limit=20, lease=LEASE, owner=owners[0])
    assert leftover == []


async def test_a_lost_lease_settles_nothing_and_a_crashed_claim_is_retaken(
    database: Database,
) -> None:
    await _nudge_slots(database, 1)
    claims = PostgresScheduleClaims(database)
    now = AT + timedelta(seconds=1)
    [crashed] = await claims.claim(
        ScheduleQueue.NUDGES, now, limit=5, lease=LEASE, owner=uuid.uuid4()
    )
    later = now + LEASE + timedelta(seconds=1)
    [retaken] = await claims.claim(
        ScheduleQueue.NUDGES, later, limit=5, lease=LEASE, owner=uuid.uuid4()
    )
    assert (retaken.tenant_id, retaken.key) == (crashed.tenant_id, crashed.key)
    async with database.unit_of_work(crashed.tenant_id) as core:
        slots = PostgresScheduleSlots(core.connection)
        assert not await slots.finish(crashed)
        assert not await slots.reschedule(crashed, later)
        assert await slots.reschedule(retaken, later + timedelta(days=1))
    next_day = later + timedelta(days=1)
    [again] = await claims.claim(
        ScheduleQueue.NUDGES, next_day, limit=5, lease=LEASE, owner=uuid.uuid4()
    )
    async with database.unit_of_work(again.tenant_id) as core:
        assert await PostgresScheduleSlots(core.connection).finish(again)
    far = next_day + timedelta(days=30)
    gone = await claims.claim(ScheduleQueue.NUDGES, far, limit=5, lease=LEASE, owner=uuid.uuid4())
    assert gone == [], "a finished slot never comes due"


async def test_every_queue_claim_reads_its_due_index(database: Database) -> None:
    owner = str(uuid.uuid4())
    for queue in ScheduleQueue:
        plan = await query_plan(database, claim_sql(queue), (AT, 50, AT, owner))
        assert_index_serves(plan, f"{queue.table}_due")
