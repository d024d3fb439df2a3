"""The scoring use case over an in-memory fake of its storage port: concurrent writers,
a crash between the profile write and the ledger insert, rule changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from agora_core.messaging.events import OutgoingEvent
from agora_core.outbox import OutboxHint
from agora_core.testing.in_memory_store import apply_update
from agora_gamification.adapters.mongo import profile_fields, settings_of
from agora_gamification.domain.badges import BadgeDefinition
from agora_gamification.domain.profile import EventFacts, ProfileState
from agora_gamification.domain.rules import Rule
from agora_gamification.domain.settings import TenantSettings
from agora_gamification.service_layer.boards import BoardWriter
from agora_gamification.service_layer.scoring import Scoring

from .fakes import FakeBoardStore, RecordingNotifier

pytestmark = pytest.mark.unit

NOON = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
COMPLETED = "org.agora.learning.knowledge.completed.v1"


class Crash(Exception):
    """The process died here."""


class FakeStore:
    """Dictionaries behaving like the Mongo adapter (version-checked profile writes)."""

    def __init__(self) -> None:
        self.tenant: dict[str, Any] = {"_id": "acme"}
        self.rules: list[Rule] = []
        self.profiles: dict[str, dict[str, Any]] = {}
        self.collections: dict[str, dict[str, Mapping[str, Any]]] = {"ledger": {}, "awards": {}}
        self.boards = FakeBoardStore()
        self.outbox: list[OutgoingEvent] = []
        self.crash_on_insert = 0
        self.interleave: dict[str, Any] | None = None

    async def tenant_document(self, tenant_id: str) -> dict[str, Any]:
        return dict(self.tenant)

    async def tenant_settings(self, tenant_id: str) -> TenantSettings:
        return settings_of(self.tenant)

    async def stored_rules(self, tenant_id: str) -> list[Rule]:
        return list(self.rules)

    async def badges(self, tenant_id: str) -> list[BadgeDefinition]:
        return []

    async def profile_document(self, tenant_id: str, learner_id: str) -> dict[str, Any] | None:
        doc = self.profiles.get(learner_id)
        return None if doc is None else dict(doc)

    async def save_profile(
        self,
        tenant_id: str,
        state: ProfileState,
        *,
        expected_version: int,
        events: Sequence[OutgoingEvent],
    ) -> bool:
        if self.interleave is not None:
            # Another replica writes this profile between our read and our write.
            self.profiles[state.learner_id] = self.interleave
            self.interleave = None
        current = self.profiles.get(state.learner_id, {}).get("version", 0)
        if current != expected_version:
            return False
        self.profiles[state.learner_id] = {
            **self.profiles.get(state.learner_id, {}),
            **profile_fields(state),
        }
        self.outbox.extend(events)
        return True

    async def set_profile_fields(
        self, tenant_id: str, learner_id: str, update: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        profile = self.profiles.get(learner_id)
        inserting = profile is None
        if profile is None:
            profile = self.profiles[learner_id] = {"learner_id": learner_id, "version": 0}
        apply_update(profile, update, inserting=inserting)
        return dict(profile)

    async def insert_ignoring_duplicates(
        self, collection: str, tenant_id: str, documents: Sequence[Mapping[str, Any]]
    ) -> None:
        if self.crash_on_insert:
            self.crash_on_insert -= 1
            raise Crash
        for document in documents:
            self.collections[collection].setdefault(document["_id"], document)

    def ledger_sum(self, learner: str) -> int:
        return sum(
            e["points"] for e in self.collections["ledger"].values() if e["learner_id"] == learner
        )


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


def scoring(store: FakeStore, notify: RecordingNotifier | None = None) -> Scoring:
    return Scoring(
        store,
        notify or RecordingNotifier(),
        lambda: NOON,
        boards=BoardWriter(store.boards, lambda: NOON),
    )


async def test_crash_between_profile_and_ledger_then_redelivery_credits_once() -> None:
    store = FakeStore()
    store.crash_on_insert = 1
    with pytest.raises(Crash):
        await scoring(store).handle(event(1))
    assert store.profiles["ada"]["points"] == 15
    assert store.collections["ledger"] == {}
    await scoring(store).handle(event(1))  # redelivered after the restart
    await scoring(store).handle(event(1))  # and once more
    assert store.profiles["ada"]["points"] == 15
    assert store.ledger_sum("ada") == 15
    assert len(store.collections["ledger"]) == 2
    assert len(store.outbox) == 2  # points.awarded for completion and streak day, once
    score = store.boards.scores["acme|tenant|all|ada"]
    assert (score["points"], score["v"]) == (15, 1)
    store.boards.consistent("acme", "tenant", "all")


async def test_the_relay_is_told_which_profile_to_publish() -> None:
    store = FakeStore()
    notify = RecordingNotifier()
    await scoring(store, notify).handle(event(1))
    # One hint naming the profile written with points.awarded: no collection scan.
    assert notify.hints == [OutboxHint("profiles", "acme:ada")]
    assert len(store.outbox) == 2


async def test_a_concurrent_write_makes_the_use_case_recompute() -> None:
    store = FakeStore()
    service = scoring(store)
    await service.handle(event(1))
    other = dict(store.profiles["ada"])
    other.update(version=other["version"] + 1, points=other["points"] + 100)
    store.interleave = other
    await service.handle(event(2))
    assert store.profiles["ada"]["points"] == 15 + 100 + 10
    assert store.profiles["ada"]["version"] == 3


async def test_rule_changes_apply_from_the_next_event_on() -> None:
    store = FakeStore()
    service = scoring(store)
    await service.handle(event(1))
    store.rules = [Rule(rule_id="completion", event_type=COMPLETED, points=50)]
    await service.handle(event(2))  # cached configuration: the version did not change
    store.tenant["config_version"] = 1
    await service.handle(event(3))
    assert store.profiles["ada"]["points"] == 15 + 10 + 50
