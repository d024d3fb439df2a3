"""Ledger retention on a real, migrated PostgreSQL (RLS applies): balances scored by the
real use case, purged by the real use case, checked to the point; the claim between
replicas, the erasure ordering and the purge's indexes."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence

import pytest

from agora_core.postgres import Database
from agora_core.testing.postgres import assert_index_serves, migrated_database, query_plan
from agora_gamification.adapters.postgres import retention as retention_sql
from agora_gamification.adapters.postgres.erasure import gamification_eraser
from agora_gamification.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_gamification.domain.profile import EventFacts
from agora_gamification.domain.retention import CARRIED_FORWARD, carried_entries
from agora_gamification.domain.settings import TenantSettings
from agora_gamification.migrations import MIGRATIONS
from agora_gamification.service_layer.retention import LedgerRetention, PurgeResult
from agora_gamification.service_layer.scoring import Scoring, TenantConfigs

from .storage import rows
from .streams import T0

pytestmark = pytest.mark.integration

TENANT = "acme"
COMPLETED = "org.agora.learning.knowledge.completed.v1"
NOW = T0 + dt.timedelta(days=60)
HORIZON = dt.datetime(2026, 12, 23, tzinfo=dt.UTC)  # 00:00 UTC, 30 days before NOW
OLD = T0  # before the horizon
RECENT = T0 + dt.timedelta(days=50)  # after it

Ledger = dict[str, list[tuple[str, int, dt.datetime]]]


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as db:
        yield db


def completion(learner: str, at: dt.datetime, tenant: str = TENANT) -> EventFacts:
    payload: dict[str, object] = {
        "learner_id": learner,
        "item_id": f"k-{uuid.uuid4().hex[:6]}",
        "item_type": "video",
        "item_title": "t",
        "author_id": None,
        "skills": [],
        "themes": [],
    }
    return EventFacts(tenant, uuid.uuid4().hex, COMPLETED, learner, payload, at)


async def scored(database: Database, events: Sequence[EventFacts], retention: int = 30) -> None:
    """Score ``events`` with the real use case after setting the tenant's retention."""
    factory = PostgresUnitOfWorkFactory(database)
    async with factory(TENANT) as uow:
        await uow.config.put_settings(TenantSettings(ledger_retention_days=retention))
    for facts in events:  # one event per transaction: a day's streak credit per learner
        async with factory(TENANT) as uow:
            await Scoring(TenantConfigs()).score(uow, [facts])


def purger(database: Database, batch_size: int = 3) -> LedgerRetention:
    factory = PostgresUnitOfWorkFactory(database)
    return LedgerRetention(factory, factory.retention_tenants, lambda: NOW, batch_size=batch_size)


async def ledger(database: Database) -> Ledger:
    """Every learner's (rule, points, awarded at), oldest first."""
    found: Ledger = {}
    for learner, rule, points, at in await rows(
        database,
        TENANT,
        "SELECT learner_id, rule_id, points, awarded_at FROM ledger WHERE tenant_id = %s "
        "ORDER BY learner_id, awarded_at, entry_id",
        (TENANT,),
    ):
        found.setdefault(learner, []).append((rule, points, at))
    return found


async def balances(database: Database) -> dict[str, int]:
    found = await rows(
        database, TENANT, "SELECT learner_id, balance FROM profiles WHERE tenant_id = %s", (TENANT,)
    )
    return {str(learner): int(balance) for learner, balance in found}


def assert_balances_are_ledger_sums(entries: Ledger, balance: dict[str, int]) -> None:
    assert {learner: sum(p for _, p, _ in lines) for learner, lines in entries.items()} == balance


async def test_old_entries_become_one_carried_entry_per_learner(database: Database) -> None:
    await scored(
        database,
        [
            *(completion("ada", OLD + dt.timedelta(minutes=n)) for n in range(3)),
            completion("ada", OLD + dt.timedelta(days=1)),
            completion("ada", RECENT),
            completion("bob", OLD),
            completion("dee", RECENT),
        ],
    )
    before = await ledger(database)
    # Ada's old days: 4 completions (10 each) and 2 streak days (5 each).
    assert sum(p for _, p, at in before["ada"] if at < HORIZON) == 50
    assert_balances_are_ledger_sums(before, await balances(database))

    assert await purger(database).purge() == PurgeResult(learners=2, entries=8)

    after = await ledger(database)
    assert after["ada"] == [
        (CARRIED_FORWARD, 50, HORIZON),
        *(x for x in before["ada"] if x[2] >= HORIZON),
    ]
    assert after["bob"] == [(CARRIED_FORWARD, 15, HORIZON)]
    assert after["dee"] == before["dee"]  # nothing old: untouched
    assert_balances_are_ledger_sums(after, await balances(database))
    done = await rows(database, TENANT, "SELECT purged_before FROM ledger_retention")
    assert done == [(HORIZON,)]

    # A second run (the same day) finds nothing and changes nothing.
    assert await purger(database).purge() == PurgeResult()
    assert await ledger(database) == after


async def test_retention_off_keeps_every_entry(database: Database) -> None:
    await scored(database, [completion("ada", OLD), completion("bob", OLD)], retention=30)
    factory = PostgresUnitOfWorkFactory(database)
    async with factory(TENANT) as uow:
        await uow.config.put_settings(TenantSettings(ledger_retention_days=0))
        assert (await uow.config.tenant_state()).settings.ledger_retention_days == 0
    before = await ledger(database)
    assert await factory.retention_tenants() == []
    assert await purger(database).purge() == PurgeResult()
    assert await purger(database).purge_tenant(TENANT) == PurgeResult()
    assert await ledger(database) == before


async def test_two_concurrent_purges_carry_each_entry_once(database: Database) -> None:
    learners = [f"u-{n:02d}" for n in range(24)]
    await scored(
        database,
        [completion(x, at) for x in learners for at in (OLD, OLD + dt.timedelta(days=2), RECENT)],
    )
    before = await ledger(database)
    old = {x: sum(p for _, p, at in before[x] if at < HORIZON) for x in learners}
    assert set(old.values()) == {30}  # two old days, each a completion (10) and a streak day (5)

    first, second = await asyncio.gather(
        purger(database, batch_size=4).purge(), purger(database, batch_size=4).purge()
    )

    assert first + second == PurgeResult(learners=24, entries=24 * 4)
    after = await ledger(database)
    for learner in learners:
        carried = [x for x in after[learner] if x[0] == CARRIED_FORWARD]
        assert carried == [(CARRIED_FORWARD, old[learner], HORIZON)], learner
    assert_balances_are_ledger_sums(after, await balances(database))


async def test_a_held_claim_makes_another_replica_skip_the_tenant(database: Database) -> None:
    await scored(database, [completion("ada", OLD)])
    factory = PostgresUnitOfWorkFactory(database)
    async with factory(TENANT) as holder:
        assert await holder.retention.claim() == 30
        assert await purger(database).purge() == PurgeResult()
    assert await purger(database).purge() == PurgeResult(learners=1, entries=2)


async def test_an_erasure_during_a_purge_renames_the_carried_entry_too(database: Database) -> None:
    await scored(database, [completion("ada", OLD), completion("ada", RECENT)])
    eraser = gamification_eraser(database)

    async def erase() -> None:
        async with database.unit_of_work(TENANT) as core:
            await eraser.erase(core, TENANT, "ada")

    async with PostgresUnitOfWorkFactory(database)(TENANT) as uow:
        assert await uow.retention.claim() == 30
        folded = await uow.retention.fold_before(["ada"], HORIZON)
        await uow.retention.add_carried(carried_entries(folded, HORIZON))
        erasing = asyncio.create_task(erase())
        await asyncio.sleep(0.5)
        assert not erasing.done()  # waits for the purge's lock on Ada's profile
    await erasing

    after = await ledger(database)
    assert "ada" not in after
    [(pseudonym, entries)] = after.items()
    assert pseudonym.startswith("erased-")
    assert sorted((rule, points) for rule, points, _ in entries) == [
        (CARRIED_FORWARD, 15),
        ("completion", 10),
        ("streak-day", 5),
    ]
    # The pseudonymised ledger is purged like any other on a later day.
    later = LedgerRetention(
        PostgresUnitOfWorkFactory(database),
        PostgresUnitOfWorkFactory(database).retention_tenants,
        lambda: NOW + dt.timedelta(days=30),
        batch_size=3,
    )
    assert await later.purge() == PurgeResult(learners=1, entries=3)
    assert (await ledger(database))[pseudonym] == [
        (CARRIED_FORWARD, 30, HORIZON + dt.timedelta(days=30))
    ]


async def test_the_purge_reads_through_its_indexes(database: Database) -> None:
    await scored(database, [completion("ada", OLD), completion("bob", RECENT)])
    plan = await query_plan(
        database, retention_sql.LEARNERS_QUERY, (TENANT, HORIZON, 500), tenant_id=TENANT
    )
    assert_index_serves(plan, "ledger_age")
    fold = await query_plan(
        database,
        retention_sql.FOLD_QUERY,
        (TENANT, ["ada", "bob"], HORIZON, HORIZON),
        tenant_id=TENANT,
    )
    # The filter drops only entries dated at the horizon itself that are not carried;
    # the aggregate sorts the deleted rows (a batch), never the table.
    assert_index_serves(fold, "ledger_learner_time", filtered=True, sorted_after=True)
