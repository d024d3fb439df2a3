"""Ledger retention over in-memory fakes: the horizon, the carried entry, the setting's
bounds, and the purge use case (balances stay the ledger's sum, exactly)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from pydantic import ValidationError

from agora_gamification.domain.profile import LedgerLine
from agora_gamification.domain.retention import (
    CARRIED_FORWARD,
    FoldedEntries,
    carried_entries,
    carried_entry_id,
    retention_horizon,
)
from agora_gamification.domain.rules import Rule
from agora_gamification.domain.settings import TenantSettings
from agora_gamification.service_layer.retention import LedgerRetention, PurgeResult
from agora_gamification.service_layer.scoring import Scoring, TenantConfigs

from .fakes import FakeStorage
from .test_scoring import COMPLETED, NOON, event, score

pytestmark = pytest.mark.unit

NOW = NOON + dt.timedelta(days=60)
HORIZON = dt.datetime(2026, 12, 23, tzinfo=dt.UTC)


def test_the_horizon_is_a_utc_midnight_the_same_all_day() -> None:
    assert retention_horizon(NOW, 30) == HORIZON
    assert retention_horizon(NOW.replace(hour=0, minute=0), 30) == HORIZON
    assert retention_horizon(NOW.replace(hour=23, minute=59), 30) == HORIZON
    assert retention_horizon(NOW.astimezone(dt.timezone(dt.timedelta(hours=14))), 30) == HORIZON


def test_one_carried_entry_per_learner_worth_what_was_deleted() -> None:
    folded = [FoldedEntries("ada", 3, 45, "a1"), FoldedEntries("bob", 1, 5, "b7")]
    ada, bob = carried_entries(folded, HORIZON)
    assert (ada.learner_id, ada.points, ada.balance, ada.awarded_at) == ("ada", 45, 45, HORIZON)
    assert (ada.rule_id, ada.rule_version, ada.source_event_id) == (CARRIED_FORWARD, 0, "")
    assert bob.points == 5
    # Named by the deleted entries, not by the learner (a pseudonymised ledger stays
    # unlinkable), and the same for the same deletion.
    renamed = carried_entries([FoldedEntries("erased-x", 3, 45, "a1")], HORIZON)[0]
    assert renamed.entry_id == ada.entry_id != bob.entry_id
    assert "ada" not in ada.entry_id


@pytest.mark.parametrize("days", [0, 30, 365, 3650])
def test_retention_accepts_off_or_30_days_to_10_years(days: int) -> None:
    assert TenantSettings(ledger_retention_days=days).ledger_retention_days == days


@pytest.mark.parametrize("days", [-1, 1, 29, 3651])
def test_retention_refuses_other_values_naming_the_field(days: int) -> None:
    with pytest.raises(ValidationError) as refused:
        TenantSettings(ledger_retention_days=days)
    assert [e["loc"] for e in refused.value.errors()] == [("ledger_retention_days",)]


def test_no_rule_may_take_the_carried_entries_rule_id() -> None:
    with pytest.raises(ValidationError, match="reserved"):
        Rule(rule_id=CARRIED_FORWARD, event_type=COMPLETED, points=5)


async def scored_storage(retention_days: int) -> FakeStorage:
    """Ada, Bob and Cy credited on an old day, Ada and Cy again after the horizon."""
    storage = FakeStorage()
    storage.tenants["acme"].settings = TenantSettings(ledger_retention_days=retention_days)
    scoring = Scoring(TenantConfigs())
    old = [event(n, learner) for n, learner in enumerate(["ada", "bob", "ada", "cy", "ada"])]
    recent = [
        replace(event(10 + n, learner), occurred_at=NOON + dt.timedelta(days=50, minutes=n))
        for n, learner in enumerate(["ada", "cy"])
    ]
    await score(storage, scoring, old)
    await score(storage, scoring, recent)
    return storage


def ledger_of(storage: FakeStorage, learner: str) -> list[LedgerLine]:
    return sorted(
        (x for x in storage.tenants["acme"].ledger.values() if x.learner_id == learner),
        key=lambda x: (x.awarded_at, x.entry_id),
    )


def purge(storage: FakeStorage, batch_size: int = 2) -> LedgerRetention:
    return LedgerRetention(storage, storage.retention_tenants, lambda: NOW, batch_size=batch_size)


async def test_old_entries_fold_into_one_carried_entry_and_balances_stay_exact() -> None:
    storage = await scored_storage(30)
    data = storage.tenants["acme"]
    before = {learner: ledger_of(storage, learner) for learner in ("ada", "bob", "cy")}
    # Ada: 3 completions (10 each) + a streak day (5) on the old day, 10 + 5 later.
    assert sum(x.points for x in before["ada"] if x.awarded_at < HORIZON) == 35
    assert data.profiles["ada"].points == 50

    # A batch of 2 old entries: several transactions for one tenant.
    assert await purge(storage).purge() == PurgeResult(learners=3, entries=8)

    ada = ledger_of(storage, "ada")
    assert [(x.rule_id, x.points, x.awarded_at) for x in ada[:1]] == [
        (CARRIED_FORWARD, 35, HORIZON)
    ]
    assert ada[1:] == [x for x in before["ada"] if x.awarded_at >= HORIZON]
    assert [(x.rule_id, x.points) for x in ledger_of(storage, "bob")] == [(CARRIED_FORWARD, 15)]
    for learner, state in data.profiles.items():
        entries = ledger_of(storage, learner)
        assert sum(x.points for x in entries) == state.points, learner
        assert sum(x.rule_id == CARRIED_FORWARD for x in entries) == 1
    assert data.purged_before == HORIZON

    # A second run finds nothing to do and changes nothing.
    after = dict(data.ledger)
    assert await purge(storage).purge() == PurgeResult()
    assert data.ledger == after


async def test_a_late_old_entry_joins_the_carried_entry_of_the_same_horizon() -> None:
    storage = await scored_storage(30)
    await purge(storage).purge()
    late = replace(event(99, "bob"), occurred_at=NOON + dt.timedelta(days=1))
    await score(storage, Scoring(TenantConfigs()), [late])
    await purge(storage).purge()
    bob = ledger_of(storage, "bob")
    assert [(x.rule_id, x.awarded_at) for x in bob] == [(CARRIED_FORWARD, HORIZON)]
    assert bob[0].points == storage.tenants["acme"].profiles["bob"].points == 30


async def test_retention_off_keeps_every_entry() -> None:
    storage = await scored_storage(0)
    kept = dict(storage.tenants["acme"].ledger)
    assert await purge(storage).purge() == PurgeResult()
    assert storage.tenants["acme"].ledger == kept


async def test_a_tenant_whose_purge_fails_does_not_stop_the_others() -> None:
    storage = await scored_storage(30)
    broken = storage.tenants["broken"]
    broken.settings = TenantSettings(ledger_retention_days=30)
    old = replace(next(iter(storage.tenants["acme"].ledger.values())), entry_id="b-1")
    # An entry already holding the id the carried entry would take: its insert fails.
    clash = replace(old, entry_id=carried_entry_id(HORIZON, "b-1"), awarded_at=NOW)
    broken.ledger = {x.entry_id: x for x in (old, clash)}
    assert sorted(await storage.retention_tenants()) == ["acme", "broken"]

    assert await purge(storage).purge() == PurgeResult(learners=3, entries=8)
    assert storage.tenants["acme"].purged_before == HORIZON
    assert broken.purged_before is None
