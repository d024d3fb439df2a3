"""A leaderboard read whole in one round trip: the tenant's settings, the team's
existence, the board's size, its top entries, the caller's entry, rank and neighbours.

Every statement goes in one message (``Database.read_batch``): the caller's entry is
not known before the message leaves, so each statement that depends on it reads it
itself, as a scalar subquery on the primary key (an InitPlan, run once per statement;
none of it when the caller has no public entry: the comparisons with NULL match
nothing). Ranks come from the counts ``boards.py`` keeps: the entries with more points
than mine are the bands above my band, plus the values of my band above mine, plus the
entries tied with me that reached my score first (an index range of ``board_entries_rank``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from agora_core.postgres import Database
from agora_core.postgres.batched_reads import Statement
from agora_gamification.adapters.postgres.boards import BAND_BITS
from agora_gamification.adapters.postgres.config import TENANT_STATE_QUERY, tenant_state_of
from agora_gamification.domain.boards import BoardRead, BoardScore, BoardSnapshot, Placement

_KEY: Final = "tenant_id = %s AND board = %s AND period = %s"
_ON_BOARD: Final = f"FROM board_entries WHERE {_KEY} AND public"
_PLACEMENTS: Final = f"SELECT learner_id, points, reached_at {_ON_BOARD}"


def _mine(expression: str) -> str:
    """``expression`` over the caller's public entry (parameters: key, learner)."""
    return f"(SELECT {expression} {_ON_BOARD} AND learner_id = %s)"


_POINTS: Final = _mine("points")
_REACHED: Final = _mine("reached_at")

TEAM_QUERY: Final = "SELECT EXISTS (SELECT 1 FROM teams WHERE tenant_id = %s AND team_id = %s)"
ENTRY_QUERY: Final = (
    f"SELECT points, reached_at, public FROM board_entries WHERE {_KEY} AND learner_id = %s"  # noqa: S608
)
SIZES_QUERY: Final = (
    "SELECT coalesce(sum(entries), 0), "  # noqa: S608 - constants only, as below
    f"coalesce(sum(entries) FILTER (WHERE band > {_mine(f'points >> {BAND_BITS}')}), 0) "
    f"FROM board_bands WHERE {_KEY}"
)
"""The board's size and the entries in bands above mine (one scan of its bands)."""
BAND_HIGHER_QUERY: Final = (
    f"SELECT coalesce(sum(entries), 0) FROM board_counts WHERE {_KEY} AND points > {_POINTS} "  # noqa: S608
    f"AND points < {_mine(f'((points >> {BAND_BITS}) + 1) << {BAND_BITS}')}"
)
"""The entries of my band with more points than mine."""
TIED_AHEAD_QUERY: Final = (
    f"SELECT count(*) {_ON_BOARD} AND points = {_POINTS} "
    f"AND (reached_at, learner_id) < ({_REACHED}, %s)"
)
TOP_QUERY: Final = f"{_PLACEMENTS} ORDER BY points DESC, reached_at, learner_id LIMIT %s"
TIED_BEFORE_QUERY: Final = (
    f"{_PLACEMENTS} AND points = {_POINTS} AND (reached_at, learner_id) < ({_REACHED}, %s) "
    "ORDER BY reached_at DESC, learner_id DESC LIMIT %s"
)
HIGHER_NEAREST_QUERY: Final = (
    f"{_PLACEMENTS} AND points > {_POINTS} ORDER BY points, reached_at DESC, learner_id DESC "
    "LIMIT %s"
)
TIED_AFTER_QUERY: Final = (
    f"{_PLACEMENTS} AND points = {_POINTS} AND (reached_at, learner_id) > ({_REACHED}, %s) "
    "ORDER BY reached_at, learner_id LIMIT %s"
)
LOWER_NEAREST_QUERY: Final = (
    f"{_PLACEMENTS} AND points < {_POINTS} ORDER BY points DESC, reached_at, learner_id LIMIT %s"
)


def board_statements(tenant_id: str, read: BoardRead) -> list[Statement]:
    """The statements of ``read``, in the order :func:`snapshot_of` expects."""
    key = (tenant_id, read.board, read.period)
    me = (*key, read.learner_id)
    statements: list[Statement] = [
        (TENANT_STATE_QUERY, (tenant_id,)),
        (TEAM_QUERY, (tenant_id, read.team_id)),
        (ENTRY_QUERY, me),
        (SIZES_QUERY, (*me, *key)),
        (BAND_HIGHER_QUERY, (*key, *me, *me)),
        (TIED_AHEAD_QUERY, (*key, *me, *me, read.learner_id)),
        (TOP_QUERY, (*key, read.top_n)),
    ]
    if read.neighbours:  # a board call without around-me needs the rank alone
        limit = read.neighbours
        statements += [
            (TIED_BEFORE_QUERY, (*key, *me, *me, read.learner_id, limit)),
            (HIGHER_NEAREST_QUERY, (*key, *me, limit)),
            (TIED_AFTER_QUERY, (*key, *me, *me, read.learner_id, limit)),
            (LOWER_NEAREST_QUERY, (*key, *me, limit)),
        ]
    return statements


def snapshot_of(read: BoardRead, results: list[list[tuple[Any, ...]]]) -> BoardSnapshot:
    """The snapshot the results of :func:`board_statements` describe."""
    state, team, entry, sizes, band_higher, tied_ahead, top, *near = results
    tied_before, higher_nearest, tied_after, lower_nearest = near or ([], [], [], [])
    mine = None
    if entry:
        points, reached_at, public = entry[0]
        mine = BoardScore(read.board, read.period, read.learner_id, int(points), reached_at, public)
    size, bands_higher = (int(n) for n in sizes[0])
    ranked = mine is not None and mine.public
    return BoardSnapshot(
        settings=tenant_state_of(state[0] if state else None).settings,
        team_exists=not read.team_id or bool(team[0][0]),
        ranked_count=size,
        top=[_placement(row) for row in top],
        mine=mine,
        rank=1 + bands_higher + int(band_higher[0][0]) + int(tied_ahead[0][0]) if ranked else 0,
        above=[_placement(r) for r in [*tied_before, *higher_nearest]][: read.neighbours],
        below=[_placement(r) for r in [*tied_after, *lower_nearest]][: read.neighbours],
    )


class PostgresBoardReads:
    """Leaderboard reads of every tenant, each in one round trip."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def snapshot(self, tenant_id: str, read: BoardRead) -> BoardSnapshot:
        results = await self._database.read_batch(tenant_id, board_statements(tenant_id, read))
        return snapshot_of(read, results)


def _placement(row: tuple[Any, ...]) -> Placement:
    learner, points, reached = row
    assert isinstance(reached, dt.datetime)
    return Placement(str(learner), int(points), reached)
