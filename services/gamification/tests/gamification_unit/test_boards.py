"""Leaderboards over in-memory fakes: the rank index agrees with a sorted board after
random moves, redeliveries, crashes between the writes, a racing writer, opt-out,
leaving a board, and team totals."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

import pytest

from agora_gamification.adapters.mongo import Score
from agora_gamification.domain.standings import RANGE_WIDTH
from agora_gamification.service_layer.boards import BoardWriter
from agora_gamification.service_layer.leaderboards import Board, Leaderboards

from .fakes import Crash, FakeBoardStore

pytestmark = pytest.mark.unit

TENANT = "acme"
NOON = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOON

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Teams:
    """The TeamDirectory port in a dict."""

    members: dict[str, list[str]]

    async def teams(self, tenant_id: str) -> list[dict[str, Any]]:
        return [{"team_id": t, "member_ids": m} for t, m in sorted(self.members.items())]

    async def team(self, tenant_id: str, team_id: str) -> dict[str, Any] | None:
        members = self.members.get(team_id)
        return None if members is None else {"team_id": team_id, "member_ids": members}


def at(minute: int) -> str:
    return (NOON + dt.timedelta(minutes=minute)).isoformat()


def score(
    learner: str, points: int, minute: int, *, public: bool = True, board: str = "tenant"
) -> Score:
    return Score(board, "all", learner, points, at(minute), public)


def expected_order(latest: dict[str, Score]) -> list[Score]:
    public = [s for s in latest.values() if s.public]
    return sorted(public, key=lambda s: (-s.points, s.reached_at, s.learner_id))


async def read(store: FakeBoardStore, me: str, *, top_n: int = 10, neighbours: int = 2) -> Board:
    boards = Leaderboards(Teams({}), store)
    return await boards.people(
        TENANT,
        me,
        board="tenant",
        period="all",
        top_n=top_n,
        around_me=True,
        neighbours=neighbours,
        privacy_mode="public",
    )


async def assert_board_agrees(store: FakeBoardStore, latest: dict[str, Score]) -> None:
    """Top N, every rank, and neighbourhoods equal those of the sorted board."""
    store.consistent(TENANT, "tenant", "all")
    order = expected_order(latest)
    rows = [(i + 1, s.learner_id, s.points) for i, s in enumerate(order)]
    for learner in sorted(latest):
        board = await read(store, learner, top_n=7, neighbours=3)
        assert [(e.rank, e.learner_id, e.points) for e in board.top] == rows[:7]
        assert board.ranked_count == len(order)
        mine = next((r for r in rows if r[1] == learner), None)
        if mine is None:
            assert (board.me.rank, board.around) == (0, [])
            continue
        assert (board.me.rank, board.me.points) == (mine[0], mine[2])
        window = rows[max(0, mine[0] - 4) : mine[0] + 3]
        assert [(e.rank, e.learner_id, e.points) for e in board.around] == window


async def test_random_moves_across_ranges_rank_like_a_sorted_board() -> None:
    rng = random.Random(5)
    store = FakeBoardStore()
    writer = BoardWriter(store, Clock())
    latest: dict[str, Score] = {}
    versions: dict[str, int] = {}
    learners = [f"u{i:02d}" for i in range(40)]
    for step in range(400):
        learner = rng.choice(learners)
        previous = latest.get(learner)
        # Mostly up, sometimes down (a new period, a revoked award), across ranges;
        # ties on purpose (few distinct values) and equal attainment times.
        points = rng.choice([0, 5, 10, 10, 25, RANGE_WIDTH - 1, RANGE_WIDTH, 2 * RANGE_WIDTH + 7])
        if previous is not None and rng.random() < 0.6:
            points = previous.points + rng.choice([5, 10, RANGE_WIDTH // 2])
        new = score(learner, points, step // 3, public=rng.random() > 0.1)
        versions[learner] = versions.get(learner, 0) + 1
        await writer.place(TENANT, new, versions[learner])
        latest[learner] = new
    await assert_board_agrees(store, latest)


async def test_redelivery_and_older_versions_change_nothing() -> None:
    store = FakeBoardStore()
    writer = BoardWriter(store, Clock())
    await writer.place(TENANT, score("ada", 30, 1), 2)
    await writer.place(TENANT, score("bob", 20, 2), 1)
    writes = len(store.calls)
    await writer.place(TENANT, score("ada", 30, 1), 2)  # redelivered
    assert store.calls[writes:] == ["score"]
    await writer.place(TENANT, score("ada", 10, 0), 1)  # an older version, late
    await assert_board_agrees(store, {"ada": score("ada", 30, 1), "bob": score("bob", 20, 2)})


STEPS = ["change_bucket", "set_point_count", "set_range_count", "clear_pending"]


@pytest.mark.parametrize(
    ("step", "nth"), [*((s, 1) for s in STEPS), *((s, 2) for s in STEPS if s != "clear_pending")]
)
async def test_a_crash_between_the_writes_is_finished_by_the_next_write(
    step: str, nth: int
) -> None:
    store = FakeBoardStore()
    writer = BoardWriter(store, Clock())
    await writer.place(TENANT, score("bob", 20, 1), 1)
    await writer.place(TENANT, score("ada", 10, 0), 1)
    store.crash_at[step] = nth
    with pytest.raises((Crash, ExceptionGroup)):
        await writer.place(TENANT, score("ada", 1500, 2), 2)
    assert store.scores["acme|tenant|all|ada"]["pending"]["seq"] == 2
    # The learner's next event (or its redelivery) finishes the move first.
    await writer.place(TENANT, score("ada", 1520, 3), 3)
    assert "pending" not in store.scores["acme|tenant|all|ada"]
    await assert_board_agrees(store, {"ada": score("ada", 1520, 3), "bob": score("bob", 20, 1)})


@pytest.mark.parametrize("step", STEPS)
async def test_a_crash_between_the_writes_is_repaired_after_the_grace(step: str) -> None:
    store = FakeBoardStore()
    clock = Clock()
    writer = BoardWriter(store, clock)
    await writer.place(TENANT, score("bob", 20, 1), 1)
    store.crash_at[step] = 1
    with pytest.raises((Crash, ExceptionGroup)):
        await writer.place(TENANT, score("bob", 2500, 2), 2)
    assert await writer.repair() == 0  # too recent: its writer may still be at work
    clock.now += dt.timedelta(minutes=1)
    restarted = BoardWriter(store, clock)
    assert await restarted.repair() == 1
    assert await restarted.repair() == 0
    await assert_board_agrees(store, {"bob": score("bob", 2500, 2)})


async def test_a_slow_writer_takes_back_an_entry_a_newer_move_removed() -> None:
    """Writer A applies ada 10 → 20 slowly: before its bucket write, writer B moves her
    20 → 30 (finishing A's move first). A's late add to bucket 20 must not stay."""
    store = FakeBoardStore()
    writer_a = BoardWriter(store, Clock())
    writer_b = BoardWriter(store, Clock())
    await writer_a.place(TENANT, score("ada", 10, 0), 1)

    async def b_runs_first(_: str) -> None:
        await writer_b.place(TENANT, score("ada", 30, 2), 3)

    store.before["change_bucket"] = b_runs_first
    await writer_a.place(TENANT, score("ada", 20, 1), 2)
    await assert_board_agrees(store, {"ada": score("ada", 30, 2)})


async def test_opt_out_and_leaving_take_people_off_the_board() -> None:
    store = FakeBoardStore()
    writer = BoardWriter(store, Clock())
    for i, (learner, points) in enumerate([("ada", 50), ("bob", 40), ("cy", 30)]):
        await writer.place(TENANT, score(learner, points, i), 1)
    await writer.set_public(TENANT, "bob", False)
    latest = {
        "ada": score("ada", 50, 0),
        "bob": score("bob", 40, 1, public=False),
        "cy": score("cy", 30, 2),
    }
    await assert_board_agrees(store, latest)
    await writer.set_public(TENANT, "bob", True)
    latest["bob"] = score("bob", 40, 1)
    await assert_board_agrees(store, latest)
    await writer.remove(TENANT, "ada", "tenant")
    del latest["ada"]
    await assert_board_agrees(store, latest)


async def test_team_totals_count_opted_out_members_and_drop_leavers() -> None:
    store = FakeBoardStore()
    writer = BoardWriter(store, Clock())
    teams = Teams({"red": ["ada", "bob"], "blue": ["cy"]})
    boards = Leaderboards(teams, store)
    await writer.place(TENANT, score("ada", 30, 0, board="team:red"), 1)
    await writer.place(TENANT, score("bob", 25, 1, board="team:red", public=False), 1)
    await writer.place(TENANT, score("cy", 40, 2, board="team:blue"), 1)
    await writer.place(TENANT, score("ada", 35, 3, board="team:red"), 2)
    await writer.place(TENANT, score("ada", 35, 3, board="team:red"), 2)  # redelivered
    result = await boards.teams(TENANT, "bob", period="all", top_n=10)
    assert [(s.rank, s.team_id, s.points, s.is_me) for s in result.top] == [
        (1, "red", 60, True),
        (2, "blue", 40, False),
    ]
    await writer.remove(TENANT, "ada", "team:red")
    result = await boards.teams(TENANT, "bob", period="all", top_n=10)
    assert [(s.team_id, s.points) for s in result.top] == [("blue", 40), ("red", 25)]
    # A crash inside the team step is finished by the next write of that score.
    store.crash_at["update_team_total"] = 1
    with pytest.raises((Crash, ExceptionGroup)):
        await writer.place(TENANT, score("cy", 45, 4, board="team:blue"), 2)
    await writer.place(TENANT, score("cy", 45, 4, board="team:blue"), 2)
    result = await boards.teams(TENANT, "bob", period="all", top_n=10)
    assert [(s.team_id, s.points) for s in result.top] == [("blue", 45), ("red", 25)]
