"""The batch scoring use case over in-memory fakes of its ports: one read and one write
per learner per batch, balance == ledger sum, rule changes from the next batch on,
boards of the learner's spaces and teams."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from agora_gamification.domain.boards import Team
from agora_gamification.domain.profile import EventFacts
from agora_gamification.domain.rules import Rule
from agora_gamification.service_layer.scoring import Scoring, TenantConfigs

from .fakes import FakeStorage

pytestmark = pytest.mark.unit

NOON = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
COMPLETED = "org.agora.learning.knowledge.completed.v1"
POINTS_TYPE = "org.agora.gamification.points.awarded.v1"


def event(n: int, learner: str = "ada") -> EventFacts:
    payload: dict[str, Any] = {
        "learner_id": learner,
        "item_id": f"k{n}",
        "item_type": "video",
        "item_title": "t",
        "author_id": None,
        "skills": [],
        "themes": [],
    }
    return EventFacts("acme", f"e{n}", COMPLETED, learner, payload, NOON + dt.timedelta(minutes=n))


async def score(storage: FakeStorage, scoring: Scoring, batch: list[EventFacts]) -> None:
    async with storage("acme") as uow:
        await scoring.score(uow, batch)


async def test_a_batch_reads_and_writes_each_learner_once_and_balances_match_the_ledger() -> None:
    storage = FakeStorage()
    batch = [event(n, learner) for n, learner in enumerate(["ada", "bob", "ada", "cy", "ada"])]
    await score(storage, Scoring(TenantConfigs()), batch)
    data = storage.tenants["acme"]
    assert data.calls["get_profiles"] == 1
    assert data.calls["save_profiles"] == 1
    assert data.calls["add_entries"] == 1
    assert data.calls["set_scores"] == 1
    # Ada: three completions (10 each) and one streak day (5).
    assert data.profiles["ada"].points == 35
    assert data.profiles["ada"].version == 3
    for learner, state in data.profiles.items():
        assert sum(x.points for x in data.ledger.values() if x.learner_id == learner) == (
            state.points
        )
    assert sum(e.headers["ce_type"] == POINTS_TYPE for e in data.outbox) == len(data.ledger)
    tenant_board = {
        s.learner_id: s.points for k, s in data.entries.items() if k[:2] == ("tenant", "all")
    }
    assert tenant_board == {"ada": 35, "bob": 15, "cy": 15}


async def test_entries_go_to_every_board_of_the_learner() -> None:
    storage = FakeStorage()
    data = storage.tenants["acme"]
    data.spaces["s1"].add("ada")
    data.teams["red"] = Team("red", "Red", ("ada",))
    await score(storage, Scoring(TenantConfigs()), [event(1)])
    boards = {k[0] for k in data.entries if k[1] == "all"}
    assert boards == {"tenant", "space:s1", "team:red"}


async def test_rule_changes_apply_from_the_next_batch_with_a_new_config_version() -> None:
    storage = FakeStorage()
    scoring = Scoring(TenantConfigs())
    await score(storage, scoring, [event(1)])
    data = storage.tenants["acme"]
    data.rules["completion"] = Rule(rule_id="completion", event_type=COMPLETED, points=50)
    await score(storage, scoring, [event(2)])  # cached configuration: same version
    data.config_version += 1
    await score(storage, scoring, [event(3)])
    assert data.profiles["ada"].points == 15 + 10 + 50


async def test_opted_out_learners_score_but_are_not_public() -> None:
    storage = FakeStorage()
    storage.tenants["acme"].person_settings["ada"] = ("", True)
    await score(storage, Scoring(TenantConfigs()), [event(1)])
    entry = storage.tenants["acme"].entries[("tenant", "all", "ada")]
    assert (entry.points, entry.public) == (15, False)
