"""Leaderboard entries: one row per (board, period, learner), read through the partial
index ``board_entries_rank`` (public entries in board order) for top-N, ties and
neighbours, and through the primary key for team totals (opted-out members count).

``board_counts`` keeps, per board, period and points value, how many public entries
have it; every change of the entries moves those counts in the same statement batch
(old values read with the rows locked), so a board's size and the entries with more
points than mine are sums over the board's distinct points values (thousands at most)
instead of counts over its rows (a million on a large tenant's board).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from psycopg import AsyncConnection

from agora_core.postgres.batched_reads import Statement, read_many
from agora_gamification.domain.boards import BoardHead, BoardScore, Neighbourhood, Placement

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
_COUNTS = "FROM board_counts WHERE tenant_id = %s AND board = %s AND period = %s"
HIGHER_QUERY = f"SELECT coalesce(sum(entries), 0) {_COUNTS} AND points > %s"
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
COUNT_QUERY = f"SELECT coalesce(sum(entries), 0) {_COUNTS}"
_ENTRY = (
    "SELECT points, reached_at, public FROM board_entries "
    "WHERE tenant_id = %s AND board = %s AND period = %s AND learner_id = %s"
)
_OLD_ENTRIES = """
SELECT e.board, e.period, e.points, e.public FROM board_entries e
JOIN unnest(%s::text[], %s::text[], %s::text[]) AS k(board, period, learner_id)
  ON e.board = k.board AND e.period = k.period AND e.learner_id = k.learner_id
WHERE e.tenant_id = %s
ORDER BY e.board, e.period, e.learner_id
FOR UPDATE OF e
"""
_MOVE_COUNTS = """
INSERT INTO board_counts (tenant_id, board, period, points, entries)
SELECT %s, * FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::integer[])
ON CONFLICT (tenant_id, board, period, points)
DO UPDATE SET entries = board_counts.entries + excluded.entries
"""
Key = tuple[str, str, int]
"""(board, period, points) of a count."""


class PostgresBoardRepository:
    """One tenant's leaderboard entries."""

    def __init__(self, connection: AsyncConnection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id

    async def set_scores(self, scores: Sequence[BoardScore]) -> None:
        """Write the scores (one statement; the last one of a key in ``scores`` wins)
        and move the counts of the points values they leave and reach."""
        latest = {(s.board, s.period, s.learner_id): s for s in scores}
        if not latest:
            return
        rows = sorted(latest.values(), key=lambda s: (s.board, s.period, s.learner_id))
        cursor = await self._connection.execute(
            _OLD_ENTRIES,
            (
                [s.board for s in rows],
                [s.period for s in rows],
                [s.learner_id for s in rows],
                self._tenant,
            ),
        )
        moves: dict[Key, int] = {}
        for board, period, points, public in await cursor.fetchall():
            if public:
                _move(moves, (board, period, int(points)), -1)
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
        for score in rows:
            if score.public:
                _move(moves, (score.board, score.period, score.points), 1)
        await self._move_counts(moves)

    async def set_public(self, learner_id: str, public: bool) -> None:
        """Show or hide every entry of a learner (opt-out)."""
        cursor = await self._connection.execute(
            "UPDATE board_entries SET public = %s "
            "WHERE tenant_id = %s AND learner_id = %s AND public <> %s "
            "RETURNING board, period, points",
            (public, self._tenant, learner_id, public),
        )
        moves: dict[Key, int] = {}
        for board, period, points in await cursor.fetchall():
            _move(moves, (board, period, int(points)), 1 if public else -1)
        await self._move_counts(moves)

    async def remove(self, learner_id: str, board: str) -> int:
        """Take a learner off a board, every period (left the space or the team)."""
        return await self._delete(
            "DELETE FROM board_entries WHERE tenant_id = %s AND learner_id = %s AND board = %s "
            "RETURNING board, period, points, public",
            (self._tenant, learner_id, board),
        )

    async def delete_person(self, learner_id: str) -> int:
        """Right to erasure: every entry of the learner."""
        return await self._delete(
            "DELETE FROM board_entries WHERE tenant_id = %s AND learner_id = %s "
            "RETURNING board, period, points, public",
            (self._tenant, learner_id),
        )

    async def _delete(self, statement: str, params: tuple[str, ...]) -> int:
        cursor = await self._connection.execute(statement, params)
        deleted = await cursor.fetchall()
        moves: dict[Key, int] = {}
        for board, period, points, public in deleted:
            if public:
                _move(moves, (board, period, int(points)), -1)
        await self._move_counts(moves)
        return len(deleted)

    async def _move_counts(self, moves: dict[Key, int]) -> None:
        """Add the count moves, in key order (two transactions never deadlock)."""
        changed = sorted((k, n) for k, n in moves.items() if n)
        if not changed:
            return
        await self._connection.execute(
            _MOVE_COUNTS,
            (
                self._tenant,
                [k[0] for k, _ in changed],
                [k[1] for k, _ in changed],
                [k[2] for k, _ in changed],
                [n for _, n in changed],
            ),
        )

    async def entry(self, board: str, period: str, learner_id: str) -> BoardScore | None:
        cursor = await self._connection.execute(_ENTRY, (self._tenant, board, period, learner_id))
        row = await cursor.fetchone()
        if row is None:
            return None
        return BoardScore(board, period, learner_id, int(row[0]), row[1], bool(row[2]))

    async def head(self, board: str, period: str, learner_id: str, top_n: int) -> BoardHead:
        """Size, top ``top_n`` (none when 0) and ``learner_id``'s entry, in one round trip."""
        key = (self._tenant, board, period)
        statements: list[Statement] = [(COUNT_QUERY, key), (_ENTRY, (*key, learner_id))]
        if top_n:
            statements.append((TOP_QUERY, (*key, top_n)))
        count, entry, *top = await read_many(self._connection, statements)
        mine = None
        if entry:
            points, reached_at, public = entry[0]
            mine = BoardScore(board, period, learner_id, int(points), reached_at, bool(public))
        placements = [_placement(row) for row in top[0]] if top else []
        return BoardHead(int(count[0][0]), placements, mine)

    async def neighbourhood(
        self, board: str, period: str, me: Placement, limit: int
    ) -> Neighbourhood:
        """``me``'s rank and up to ``limit`` entries on each side, in one round trip: the
        tied entries and the nearest beyond them are read together, then joined."""
        key = (self._tenant, board, period)
        tie = (*key, me.points, me.reached_at, me.learner_id)
        statements: list[Statement] = [(HIGHER_QUERY, (*key, me.points)), (TIED_AHEAD_QUERY, tie)]
        if limit:  # the rank alone (a board call without around-me) needs no neighbours
            statements += [
                (TIED_BEFORE_QUERY, (*tie, limit)),
                (HIGHER_NEAREST_QUERY, (*key, me.points, limit)),
                (TIED_AFTER_QUERY, (*tie, limit)),
                (LOWER_NEAREST_QUERY, (*key, me.points, limit)),
            ]
        higher, tied_ahead, *near = await read_many(self._connection, statements)
        tied_before, higher_nearest, tied_after, lower_nearest = near or ([], [], [], [])
        above = [_placement(r) for r in [*tied_before, *higher_nearest]][:limit]
        below = [_placement(r) for r in [*tied_after, *lower_nearest]][:limit]
        return Neighbourhood(1 + int(higher[0][0]) + int(tied_ahead[0][0]), above, below)

    async def totals(self, boards: Sequence[str], period: str) -> dict[str, int]:
        """The sum of every entry (public or not) of each board in ``period``."""
        cursor = await self._connection.execute(
            "SELECT board, sum(points) FROM board_entries "
            "WHERE tenant_id = %s AND board = ANY(%s) AND period = %s GROUP BY board",
            (self._tenant, list(boards), period),
        )
        return {str(board): int(total) for board, total in await cursor.fetchall()}


def _move(moves: dict[Key, int], key: Key, by: int) -> None:
    moves[key] = moves.get(key, 0) + by


def _placement(row: tuple[object, ...]) -> Placement:
    learner, points, reached = row
    assert isinstance(reached, dt.datetime)
    return Placement(str(learner), int(str(points)), reached)
