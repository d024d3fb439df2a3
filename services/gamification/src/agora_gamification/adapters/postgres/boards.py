"""Leaderboard entries: one row per (board, period, learner), read through the partial
index ``board_entries_rank`` (public entries in board order) for top-N, ranks and
neighbours, and through the primary key for team totals (opted-out members count)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from psycopg import AsyncConnection

from agora_gamification.domain.boards import BoardScore, Placement

_UPSERT = """
INSERT INTO board_entries (tenant_id, board, period, learner_id, points, reached_at, public)
SELECT %s, * FROM unnest(%s::text[], %s::text[], %s::text[], %s::bigint[],
    %s::timestamptz[], %s::boolean[])
ON CONFLICT (tenant_id, board, period, learner_id) DO UPDATE SET
    points = excluded.points, reached_at = excluded.reached_at, public = excluded.public
"""

_ON_BOARD = "FROM board_entries WHERE tenant_id = %s AND board = %s AND period = %s AND public"

TOP_QUERY = (
    f"SELECT learner_id, points, reached_at {_ON_BOARD} "
    "ORDER BY points DESC, reached_at, learner_id LIMIT %s"
)
HIGHER_QUERY = f"SELECT count(*) {_ON_BOARD} AND points > %s"
TIED_AHEAD_QUERY = (
    f"SELECT count(*) {_ON_BOARD} AND points = %s AND (reached_at, learner_id) < (%s, %s)"
)
TIED_BEFORE_QUERY = (
    f"SELECT learner_id, points, reached_at {_ON_BOARD} AND points = %s "
    "AND (reached_at, learner_id) < (%s, %s) "
    "ORDER BY reached_at DESC, learner_id DESC LIMIT %s"
)
HIGHER_NEAREST_QUERY = (
    f"SELECT learner_id, points, reached_at {_ON_BOARD} AND points > %s "
    "ORDER BY points, reached_at DESC, learner_id DESC LIMIT %s"
)
TIED_AFTER_QUERY = (
    f"SELECT learner_id, points, reached_at {_ON_BOARD} AND points = %s "
    "AND (reached_at, learner_id) > (%s, %s) ORDER BY reached_at, learner_id LIMIT %s"
)
LOWER_NEAREST_QUERY = (
    f"SELECT learner_id, points, reached_at {_ON_BOARD} AND points < %s "
    "ORDER BY points DESC, reached_at, learner_id LIMIT %s"
)
COUNT_QUERY = f"SELECT count(*) {_ON_BOARD}"


class PostgresBoardRepository:
    """One tenant's leaderboard entries."""

    def __init__(self, connection: AsyncConnection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id

    async def set_scores(self, scores: Sequence[BoardScore]) -> None:
        """Write the scores (one statement; the last one of a key in ``scores`` wins)."""
        latest = {(s.board, s.period, s.learner_id): s for s in scores}
        if not latest:
            return
        rows = sorted(latest.values(), key=lambda s: (s.board, s.period, s.learner_id))
        await self._connection.execute(
            _UPSERT,
            (
                self._tenant,
                [s.board for s in rows],
                [s.period for s in rows],
                [s.learner_id for s in rows],
                [s.points for s in rows],
                [s.reached_at for s in rows],
                [s.public for s in rows],
            ),
        )

    async def set_public(self, learner_id: str, public: bool) -> None:
        """Show or hide every entry of a learner (opt-out)."""
        await self._connection.execute(
            "UPDATE board_entries SET public = %s "
            "WHERE tenant_id = %s AND learner_id = %s AND public <> %s",
            (public, self._tenant, learner_id, public),
        )

    async def remove(self, learner_id: str, board: str) -> int:
        """Take a learner off a board, every period (left the space or the team)."""
        cursor = await self._connection.execute(
            "DELETE FROM board_entries WHERE tenant_id = %s AND learner_id = %s AND board = %s",
            (self._tenant, learner_id, board),
        )
        return cursor.rowcount

    async def delete_person(self, learner_id: str) -> int:
        """Right to erasure: every entry of the learner."""
        cursor = await self._connection.execute(
            "DELETE FROM board_entries WHERE tenant_id = %s AND learner_id = %s",
            (self._tenant, learner_id),
        )
        return cursor.rowcount

    async def entry(self, board: str, period: str, learner_id: str) -> BoardScore | None:
        cursor = await self._connection.execute(
            "SELECT points, reached_at, public FROM board_entries "
            "WHERE tenant_id = %s AND board = %s AND period = %s AND learner_id = %s",
            (self._tenant, board, period, learner_id),
        )
        row = await cursor.fetchone()
        if row is None:
            return None
        return BoardScore(board, period, learner_id, int(row[0]), row[1], bool(row[2]))

    async def top(self, board: str, period: str, limit: int) -> list[Placement]:
        """The first ``limit`` public entries in board order."""
        return await self._placements(TOP_QUERY, (board, period, limit))

    async def rank_of(self, board: str, period: str, me: Placement) -> int:
        """1 + the public entries ordered before ``me``."""
        higher = await self._count(HIGHER_QUERY, (board, period, me.points))
        tied = await self._count(
            TIED_AHEAD_QUERY, (board, period, me.points, me.reached_at, me.learner_id)
        )
        return 1 + higher + tied

    async def before(self, board: str, period: str, me: Placement, limit: int) -> list[Placement]:
        """Up to ``limit`` public entries just before ``me``, nearest first."""
        tied = await self._placements(
            TIED_BEFORE_QUERY, (board, period, me.points, me.reached_at, me.learner_id, limit)
        )
        if len(tied) >= limit:
            return tied
        higher = await self._placements(
            HIGHER_NEAREST_QUERY, (board, period, me.points, limit - len(tied))
        )
        return tied + higher

    async def after(self, board: str, period: str, me: Placement, limit: int) -> list[Placement]:
        """Up to ``limit`` public entries just after ``me``, nearest first."""
        tied = await self._placements(
            TIED_AFTER_QUERY, (board, period, me.points, me.reached_at, me.learner_id, limit)
        )
        if len(tied) >= limit:
            return tied
        lower = await self._placements(
            LOWER_NEAREST_QUERY, (board, period, me.points, limit - len(tied))
        )
        return tied + lower

    async def ranked_count(self, board: str, period: str) -> int:
        """How many public entries the board has."""
        return await self._count(COUNT_QUERY, (board, period))

    async def totals(self, boards: Sequence[str], period: str) -> dict[str, int]:
        """The sum of every entry (public or not) of each board in ``period``."""
        cursor = await self._connection.execute(
            "SELECT board, sum(points) FROM board_entries "
            "WHERE tenant_id = %s AND board = ANY(%s) AND period = %s GROUP BY board",
            (self._tenant, list(boards), period),
        )
        return {str(board): int(total) for board, total in await cursor.fetchall()}

    async def _count(self, query: str, params: tuple[object, ...]) -> int:
        cursor = await self._connection.execute(query, (self._tenant, *params))
        row = await cursor.fetchone()
        return int(row[0]) if row is not None else 0

    async def _placements(self, query: str, params: tuple[object, ...]) -> list[Placement]:
        cursor = await self._connection.execute(query, (self._tenant, *params))
        return [_placement(row) for row in await cursor.fetchall()]


def _placement(row: tuple[object, ...]) -> Placement:
    learner, points, reached = row
    assert isinstance(reached, dt.datetime)
    return Placement(str(learner), int(str(points)), reached)
