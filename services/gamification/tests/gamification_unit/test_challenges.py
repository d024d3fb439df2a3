"""Challenges over an in-memory store: goal progress counted once per event, team goals
won together, duels and their tie rule, deadlines closed exactly once."""

from __future__ import annotations

import datetime as dt

import pytest

from agora_core.errors import InvalidArgument, NotFound, PermissionDenied
from agora_core.identity import Principal, Role
from agora_gamification.domain.boards import Team
from agora_gamification.domain.challenges import Challenge, NewChallenge
from agora_gamification.domain.profile import EventFacts
from agora_gamification.service_layer.challenges import Challenges

from .fakes import FakeStorage

pytestmark = pytest.mark.unit

TENANT = "acme"
NOON = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
COMPLETED = "org.agora.learning.knowledge.completed.v1"
QUIZ_PASSED = "org.agora.learning.quiz.passed.v1"
QUIZ_FAILED = "org.agora.learning.quiz.failed.v1"
COMPLETED_TYPE = "org.agora.gamification.challenge.completed.v1"


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


def service(storage: FakeStorage, clock: Clock | None = None) -> Challenges:
    return Challenges(storage, storage.due_challenges, clock or Clock())


def who(subject: str, *roles: Role) -> Principal:
    return Principal(subject, TENANT, frozenset(roles))


def completions(storage: FakeStorage) -> int:
    """challenge.completed events written to the outbox."""
    return sum(e.headers["ce_type"] == COMPLETED_TYPE for e in storage.tenants[TENANT].outbox)


async def on_event(storage: FakeStorage, challenges: Challenges, facts: EventFacts) -> None:
    async with storage(TENANT) as uow:
        await challenges.on_events(uow, [facts], uow.data.open_challenges)


async def get(challenges: Challenges, challenge: Challenge) -> Challenge:
    return await challenges.get(who("ada"), challenge.challenge_id)


async def test_person_goal_counts_each_event_once_and_completes_at_the_target() -> None:
    storage = FakeStorage()
    challenges = service(storage)
    created = await challenges.create(who("ada"), goal("person", target=2))
    assert storage.tenants[TENANT].open_challenges == 1
    await on_event(storage, challenges, completion(1, "ada"))
    await on_event(storage, challenges, completion(1, "ada"))  # redelivered
    await on_event(storage, challenges, completion(2, "bob"))  # not a participant
    assert (await get(challenges, created)).state == "open"
    await on_event(storage, challenges, completion(3, "ada"))
    done = await get(challenges, created)
    assert (done.state, done.outcome, done.winner_ids) == ("completed", "goal_reached", ("ada",))
    assert storage.tenants[TENANT].open_challenges == 0
    assert completions(storage) == 1
    async with storage(TENANT) as uow:  # after the end: nothing more
        await challenges.on_events(uow, [completion(4, "ada")], 1)
    assert completions(storage) == 1


async def test_team_goal_is_won_together_by_the_contributors() -> None:
    storage = FakeStorage()
    storage.tenants[TENANT].teams["red"] = Team("red", "Red", ("ada", "bob", "cy"))
    challenges = service(storage)
    with pytest.raises(PermissionDenied):  # a team goal is set by a manager or an admin
        await challenges.create(who("ada"), goal("team", target=3, scope_id="red"))
    created = await challenges.create(
        who("boss", Role.MANAGER), goal("team", target=3, scope_id="red")
    )
    assert created.participant_ids == ("ada", "bob", "cy")
    for n, learner in enumerate(["ada", "bob", "ada"]):
        await on_event(storage, challenges, completion(n, learner))
    done = await get(challenges, created)
    assert (done.state, done.winner_ids) == ("completed", ("ada", "bob"))
    with pytest.raises(NotFound):
        await challenges.create(who("boss", Role.ADMIN), goal("team", target=3, scope_id="nope"))


async def test_duel_first_attempts_decide_and_ties_at_one_instant_share_the_win() -> None:
    storage = FakeStorage()
    challenges = service(storage)
    with pytest.raises(PermissionDenied):
        await challenges.create(who("eve"), duel("ada", "bob"))
    first = await challenges.create(who("ada"), duel("ada", "bob"))
    graded = NOON + dt.timedelta(minutes=5)
    await on_event(storage, challenges, attempt(1, "ada", first.challenge_id, 80, graded))
    await on_event(storage, challenges, attempt(2, "ada", first.challenge_id, 100, graded))
    await on_event(storage, challenges, attempt(3, "bob", first.challenge_id, 90, graded))
    done = await get(challenges, first)
    assert (done.state, done.winner_ids) == ("completed", ("bob",))

    tie = await challenges.create(who("ada"), duel("ada", "bob"))
    await on_event(storage, challenges, attempt(4, "bob", tie.challenge_id, 75, graded))
    await on_event(storage, challenges, attempt(5, "ada", tie.challenge_id, 75, graded))
    assert (await get(challenges, tie)).winner_ids == ("ada", "bob")


async def test_deadlines_close_each_challenge_once_and_decide_duels_by_attempts_so_far() -> None:
    storage = FakeStorage()
    clock = Clock()
    challenges = service(storage, clock)
    person = await challenges.create(who("ada"), goal("person", target=5))
    match = await challenges.create(who("ada"), duel("ada", "bob"))
    await on_event(storage, challenges, attempt(1, "bob", match.challenge_id, 40, NOON))
    assert await challenges.close_due() == 0
    clock.now = NOON + dt.timedelta(days=2)
    assert await challenges.close_due() == 2
    assert await challenges.close_due() == 0  # a second sweeper finds nothing to close
    assert (await get(challenges, person)).outcome == "deadline_passed"
    assert (await get(challenges, person)).winner_ids == ()
    assert (await get(challenges, match)).winner_ids == ("bob",)
    assert storage.tenants[TENANT].open_challenges == 0
    assert completions(storage) == 2


async def test_only_overseers_challenge_someone_else_and_one_person_at_a_time() -> None:
    challenges = service(FakeStorage())
    with pytest.raises(PermissionDenied):
        await challenges.create(who("ada"), goal("person", target=2, people=("bob",)))
    with pytest.raises(InvalidArgument):
        await challenges.create(
            who("boss", Role.MANAGER), goal("person", target=2, people=("ada", "bob"))
        )
    mine = await challenges.create(who("ada"), goal("person", target=2, people=("ada",)))
    theirs = await challenges.create(
        who("boss", Role.MANAGER), goal("person", target=2, people=("bob",))
    )
    assert (mine.participant_ids, theirs.participant_ids) == (("ada",), ("bob",))
