"""Leaderboard entries: one row per (board, period, learner), read through the partial
index ``board_entries_rank`` (public entries in board order) for top-N, ties and
neighbours, and through the primary key for team totals (opted-out members count).
Reads are in ``board_reads.py``.

``board_counts`` keeps, per board, period and points value, how many public entries
have it, and ``board_bands`` the same per band of :data:`BAND_WIDTH` consecutive values
(``points >> BAND_BITS``); every change of the entries moves both in the same
transaction (old values read with the rows locked). A board's size and the entries with
more points than mine are then sums over its bands plus the values of my band — about
``distinct values / 64 + 64`` rows — instead of a count over its entries (a million on a
large tenant's board). A learner who gains points within a band moves no band count.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from psycopg import AsyncConnection

from agora_gamification.domain.boards import BoardScore

_UPSERT = """
INSERT INTO board_entries (tenant_id, board, period, learner_id, points, reached_at, public)
SELECT %s, * FROM unnest(%b::text[], %b::text[], %b::text[], %b::bigint[],
    %b::timestamptz[], %b::boolean[])
ON CONFLICT (tenant_id, board, period, learner_id) DO UPDATE SET
    points = excluded.points, reached_at = excluded.reached_at, public = excluded.public
"""

_OLD_ENTRIES = """
SELECT e.board, e.period, e.points, e.public FROM board_entries e
JOIN unnest(%b::text[], %b::text[], %b::text[]) AS k(board, period, learner_id)
  ON e.board = k.board AND e.period = k.period AND e.learner_id = k.learner_id
WHERE e.tenant_id = %s
ORDER BY e.board, e.period, e.learner_id
FOR UPDATE OF e
"""
_MOVE_COUNTS = """
INSERT INTO board_counts (tenant_id, board, period, points, entries)
SELECT %s, * FROM unnest(%b::text[], %b::text[], %b::bigint[], %b::integer[])
ON CONFLICT (tenant_id, board, period, points)
DO UPDATE SET entries = board_counts.entries + excluded.entries
"""
_MOVE_BANDS = """
INSERT INTO board_bands (tenant_id, board, period, band, entries)
SELECT %s, * FROM unnest(%b::text[], %b::text[], %b::bigint[], %b::integer[])
ON CONFLICT (tenant_id, board, period, band)
DO UPDATE SET entries = board_bands.entries + excluded.entries
"""
BAND_BITS: Final = 6
BAND_WIDTH: Final = 1 << BAND_BITS
Key = tuple[str, str, int]
"""(board, period, points) of a count, or (board, period, band) of a band."""


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
        """Add the count moves, then their bands', each in key order (two transactions
        take the rows of each table in one order, so they never deadlock)."""
        bands: dict[Key, int] = {}
        for (board, period, points), n in moves.items():
            _move(bands, (board, period, points >> BAND_BITS), n)
        for statement, changes in ((_MOVE_COUNTS, moves), (_MOVE_BANDS, bands)):
            changed = sorted((k, n) for k, n in changes.items() if n)
            if changed:
                await self._connection.execute(
                    statement,
                    (
                        self._tenant,
                        [k[0] for k, _ in changed],
                        [k[1] for k, _ in changed],
                        [k[2] for k, _ in changed],
                        [n for _, n in changed],
                    ),
                )

    async def totals(self, boards: Sequence[str], period: str) -> dict[str, int]:
        """The sum of every entry (public or not) of each board in ``period``."""
        cursor = await self._connection.execute(
            "SELECT board, sum(points) FROM board_entries "
            "WHERE tenant_id = %s AND board = ANY(%b::text[]) AND period = %s GROUP BY board",
            (self._tenant, list(boards), period),
        )
        return {str(board): int(total) for board, total in await cursor.fetchall()}


def _move(moves: dict[Key, int], key: Key, by: int) -> None:
    moves[key] = moves.get(key, 0) + by
