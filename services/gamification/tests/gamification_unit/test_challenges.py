"""Challenges over an in-memory store: goal progress counted once per event, team goals
won together, duels and their tie rule, deadlines closed exactly once."""

from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict
from typing import Any

import pytest

from agora_core.errors import NotFound, PermissionDenied
from agora_core.storage import Document
from agora_core.testing.in_memory_store import InMemoryDocuments
from agora_gamification.domain.challenges import NewChallenge
from agora_gamification.domain.profile import EventFacts
from agora_gamification.service_layer.challenges import Challenges

from .fakes import RecordingNotifier

pytestmark = pytest.mark.unit

TENANT = "acme"
NOON = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
COMPLETED = "org.agora.learning.knowledge.completed.v1"
QUIZ_PASSED = "org.agora.learning.quiz.passed.v1"
QUIZ_FAILED = "org.agora.learning.quiz.failed.v1"
COMPLETED_TYPE = "org.agora.gamification.challenge.completed.v1"


class FakeChallengeStore:
    """The ChallengeStore port over in-memory collections."""

    def __init__(self) -> None:
        self.collections: dict[str, dict[Any, Document]] = defaultdict(dict)
        self.teams: dict[str, list[str]] = {}
        self.spaces: dict[str, list[str]] = {}
        self.open: dict[str, int] = defaultdict(int)

    def repo(self, collection: str, tenant_id: str) -> InMemoryDocuments:
        return InMemoryDocuments(self.collections[collection], tenant_id)

    async def team(self, tenant_id: str, team_id: str) -> dict[str, Any] | None:
        members = self.teams.get(team_id)
        return None if members is None else {"team_id": team_id, "member_ids": members}

    async def members_of_space(self, tenant_id: str, space_id: str) -> list[str]:
        return sorted(self.spaces.get(space_id, []))

    async def count_open_challenges(self, tenant_id: str, delta: int) -> None:
        self.open[tenant_id] += delta

    async def due_challenges(self, now: dt.datetime, limit: int) -> list[dict[str, Any]]:
        due = [
            copy.deepcopy(d)
            for d in self.collections["challenges"].values()
            if d["state"] == "open" and d["ends_at"] <= now
        ]
        return due[:limit]

    def completions(self) -> list[str]:
        """challenge.completed events waiting in the challenges' outboxes."""
        types = InMemoryDocuments(self.collections["challenges"]).outbox_types()
        return [t for t in types if t == COMPLETED_TYPE]


class Clock:
    def __init__(self) -> None:
        self.now = NOON

    def __call__(self) -> dt.datetime:
        return self.now


def completion(n: int, learner: str, *, minutes: int = 1) -> EventFacts:
    payload = {"learner_id": learner, "item_id": f"k{n}", "item_type": "video"}
    return EventFacts(
        TENANT, f"e{n}", COMPLETED, learner, payload, NOON + dt.timedelta(minutes=minutes)
    )


def attempt(n: int, learner: str, challenge: str, score: float, graded: dt.datetime) -> EventFacts:
    passed = score >= 70
    payload = {
        "learner_id": learner,
        "item_id": "quiz-1",
        "score_percent": score,
        "challenge_id": challenge,
        "graded_at": graded.isoformat(),
    }
    return EventFacts(
        TENANT, f"q{n}", QUIZ_PASSED if passed else QUIZ_FAILED, learner, payload, graded
    )


def goal(
    scope: str, *, target: int, scope_id: str = "", people: tuple[str, ...] = ()
) -> NewChallenge:
    return NewChallenge(
        title="Five in a day",
        scope=scope,
        scope_id=scope_id,
        participant_ids=people,
        event_type=COMPLETED,
        target=target,
        starts_at=NOON,
        ends_at=NOON + dt.timedelta(days=1),
    )


def duel(a: str, b: str) -> NewChallenge:
    return NewChallenge(
        title="SQL duel",
        scope="duel",
        participant_ids=(a, b),
        quiz_item_id="quiz-1",
        starts_at=NOON,
        ends_at=NOON + dt.timedelta(hours=2),
    )


def service(store: FakeChallengeStore, clock: Clock | None = None) -> Challenges:
    return Challenges(store, RecordingNotifier(), clock or Clock())


async def test_person_goal_counts_each_event_once_and_completes_at_the_target() -> None:
    store = FakeChallengeStore()
    challenges = service(store)
    created = await challenges.create(TENANT, "ada", goal("person", target=2))
    assert store.open[TENANT] == 1
    await challenges.on_event(completion(1, "ada"), store.open[TENANT])
    await challenges.on_event(completion(1, "ada"), store.open[TENANT])  # redelivered
    await challenges.on_event(completion(2, "bob"), store.open[TENANT])  # not a participant
    assert (await challenges.get(TENANT, created["_id"]))["state"] == "open"
    await challenges.on_event(completion(3, "ada"), store.open[TENANT])
    done = await challenges.get(TENANT, created["_id"])
    assert (done["state"], done["outcome"], done["winner_ids"]) == (
        "completed",
        "goal_reached",
        ["ada"],
    )
    assert store.open[TENANT] == 0
    assert len(store.completions()) == 1
    await challenges.on_event(completion(4, "ada"), 1)  # after the end: nothing more
    assert len(store.completions()) == 1


async def test_team_goal_is_won_together_by_the_contributors() -> None:
    store = FakeChallengeStore()
    store.teams["red"] = ["ada", "bob", "cy"]
    challenges = service(store)
    created = await challenges.create(TENANT, "boss", goal("team", target=3, scope_id="red"))
    assert created["participant_ids"] == ["ada", "bob", "cy"]
    for n, learner in enumerate(["ada", "bob", "ada"]):
        await challenges.on_event(completion(n, learner), store.open[TENANT])
    done = await challenges.get(TENANT, created["_id"])
    assert (done["state"], done["winner_ids"]) == ("completed", ["ada", "bob"])
    with pytest.raises(NotFound):
        await challenges.create(TENANT, "boss", goal("team", target=3, scope_id="nope"))


async def test_duel_first_attempts_decide_and_ties_at_one_instant_share_the_win() -> None:
    store = FakeChallengeStore()
    challenges = service(store)
    with pytest.raises(PermissionDenied):
        await challenges.create(TENANT, "eve", duel("ada", "bob"))
    first = await challenges.create(TENANT, "ada", duel("ada", "bob"))
    graded = NOON + dt.timedelta(minutes=5)
    await challenges.on_event(attempt(1, "ada", first["_id"], 80, graded), 1)
    await challenges.on_event(attempt(2, "ada", first["_id"], 100, graded), 1)  # 2nd: ignored
    await challenges.on_event(attempt(3, "bob", first["_id"], 90, graded), 1)
    done = await challenges.get(TENANT, first["_id"])
    assert (done["state"], done["winner_ids"]) == ("completed", ["bob"])

    tie = await challenges.create(TENANT, "ada", duel("ada", "bob"))
    await challenges.on_event(attempt(4, "bob", tie["_id"], 75, graded), 1)
    await challenges.on_event(attempt(5, "ada", tie["_id"], 75, graded), 1)
    assert (await challenges.get(TENANT, tie["_id"]))["winner_ids"] == ["ada", "bob"]


async def test_deadlines_close_each_challenge_once_and_decide_duels_by_attempts_so_far() -> None:
    store = FakeChallengeStore()
    clock = Clock()
    challenges = service(store, clock)
    person = await challenges.create(TENANT, "ada", goal("person", target=5))
    match = await challenges.create(TENANT, "ada", duel("ada", "bob"))
    await challenges.on_event(attempt(1, "bob", match["_id"], 40, NOON), store.open[TENANT])
    assert await challenges.close_due() == 0
    clock.now = NOON + dt.timedelta(days=2)
    assert await challenges.close_due() == 2
    assert await challenges.close_due() == 0  # a second sweeper finds nothing to close
    assert (await challenges.get(TENANT, person["_id"]))["outcome"] == "deadline_passed"
    assert (await challenges.get(TENANT, person["_id"]))["winner_ids"] == []
    assert (await challenges.get(TENANT, match["_id"]))["winner_ids"] == ["bob"]
    assert store.open[TENANT] == 0
    assert len(store.completions()) == 2
