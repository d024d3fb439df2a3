"""Use case: leaderboards (top N, "around me", team totals) with privacy built in.

A score document per (board, period, learner) and the rank index derived from it are
kept by :mod:`.boards`; boards are read from the index by ``_id`` only. Order and
tie rule: more points first; equal points → whoever reached that score first (the time
of the event that produced it); then learner id. Ranks are exact: ``1 + the number of
public scores ordered before mine``. Opted-out learners are on no public board (their
points still count in team totals). Tenant privacy modes: ``public``; ``anonymous``
(everyone but the caller shown without id); ``neighbours_only`` (no top list, only the
caller's neighbourhood).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Literal

from agora_core.errors import NotFound
from agora_gamification.adapters.board_index import score_key
from agora_gamification.domain.settings import ALL_TIME, local_day, month_key, week_key
from agora_gamification.domain.standings import Entry, Placement, ordered, position_in, range_of
from agora_gamification.service_layer.ports import BoardStore, TeamDirectory

PeriodKind = Literal["all", "week", "month"]


@dataclass(frozen=True)
class Standing:
    """One line of a board."""

    rank: int
    learner_id: str
    points: int
    team_id: str = ""
    is_me: bool = False


@dataclass(frozen=True)
class Board:
    """What a leaderboard call returns."""

    top: list[Standing]
    around: list[Standing]
    me: Standing
    ranked_count: int
    period_key: str
    privacy_mode: str


def current_period(kind: PeriodKind, now: dt.datetime, zone: str) -> str:
    """The period key of ``now`` in the tenant's zone (weeks and months close there)."""
    if kind == "all":
        return ALL_TIME
    day = local_day(now, zone)
    return week_key(day) if kind == "week" else month_key(day)


class _BoardView:
    """Reads of one board's rank index, each document read at most once per call."""

    def __init__(
        self, store: BoardStore, tenant_id: str, board: str, period: str, directory: dict[int, int]
    ) -> None:
        self._store = store
        self._at = (tenant_id, board, period)
        self.directory = directory
        self._ranges: dict[int, dict[int, int]] = {}
        self._buckets: dict[int, list[Entry]] = {}

    async def load_ranges(self, indexes: Iterable[int]) -> None:
        wanted = [r for r in dict.fromkeys(indexes) if r not in self._ranges]
        found = await asyncio.gather(*(self._store.range_counts(*self._at, r) for r in wanted))
        self._ranges.update(zip(wanted, found, strict=True))

    async def load_buckets(self, points: Iterable[int]) -> None:
        wanted = [p for p in dict.fromkeys(points) if p not in self._buckets]
        found = await asyncio.gather(*(self._store.bucket(*self._at, p) for p in wanted))
        self._buckets.update(zip(wanted, (ordered(f) for f in found), strict=True))

    def bucket(self, points: int) -> list[Entry]:
        return self._buckets[points]

    async def counts_in(self, range_index: int) -> dict[int, int]:
        await self.load_ranges([range_index])
        return self._ranges[range_index]

    def ranges_above(self, range_index: int) -> list[int]:
        """Non-empty ranges above ``range_index``, nearest first."""
        return sorted(r for r, n in self.directory.items() if n and r > range_index)

    def ranges_below(self, range_index: int) -> list[int]:
        """Non-empty ranges below ``range_index``, nearest first."""
        return sorted((r for r, n in self.directory.items() if n and r < range_index), reverse=True)

    async def walk(self, points: int | None, *, upward: bool) -> AsyncIterator[tuple[int, int]]:
        """(points value, count) of non-empty buckets beyond ``points`` (None: from the
        top, downward), nearest first."""
        if points is None:
            ranges = self.ranges_below(max(self.directory, default=0) + 1)
            start: int | None = None
        else:
            start = points
            here = range_of(points)
            ranges = [here, *(self.ranges_above(here) if upward else self.ranges_below(here))]
        for range_index in ranges:
            counts = await self.counts_in(range_index)
            values = sorted(counts, reverse=not upward)
            for value in values:
                if start is None or (value > start if upward else value < start):
                    yield value, counts[value]

    async def collect(
        self, points: int | None, want: int, *, upward: bool
    ) -> list[tuple[int, Entry]]:
        """Up to ``want`` (points, entry) beyond ``points``, nearest first; buckets are
        read together once their counts cover ``want``."""
        out: list[tuple[int, Entry]] = []
        if want <= 0:
            return out
        batch: list[int] = []
        planned = 0
        async for value, count in self.walk(points, upward=upward):
            batch.append(value)
            planned += count
            if len(out) + planned >= want:
                out.extend(await self._read(batch, upward=upward))
                batch, planned = [], 0
                if len(out) >= want:
                    return out[:want]
        out.extend(await self._read(batch, upward=upward))
        return out[:want]

    async def _read(self, values: list[int], *, upward: bool) -> list[tuple[int, Entry]]:
        await self.load_buckets(values)
        out: list[tuple[int, Entry]] = []
        for value in values:
            entries = self.bucket(value)
            out.extend((value, e) for e in (reversed(entries) if upward else entries))
        return out


class Leaderboards:
    """Reads boards; the tenant and caller come from the request's principal."""

    def __init__(self, teams: TeamDirectory, boards: BoardStore) -> None:
        self._teams = teams
        self._boards = boards

    async def people(
        self,
        tenant_id: str,
        me: str,
        *,
        board: str,
        period: str,
        top_n: int,
        around_me: bool,
        neighbours: int,
        privacy_mode: str,
    ) -> Board:
        """Top N and/or the caller's neighbourhood on a people board, from ``_id`` reads
        of the rank index (``domain/standings.py``): three round trips in the usual case."""
        mine_doc, directory = await asyncio.gather(
            self._boards.score(tenant_id, score_key(tenant_id, board, period, me)),
            self._boards.directory(tenant_id, board, period),
        )
        view = _BoardView(self._boards, tenant_id, board, period, directory)
        ranked = sum(directory.values())
        mine = Placement.of((mine_doc or {}).get("on"))
        show_top = privacy_mode != "neighbours_only"
        # Read ahead, together: the ranges the top list needs and those around me.
        ahead: list[int] = []
        if show_top:
            covered = 0
            for r in view.ranges_below(max(directory, default=0) + 1):
                ahead.append(r)
                covered += directory[r]
                if covered >= top_n:
                    break
        if mine is not None:
            # My rank needs my range; my neighbours may spill into the next ones.
            here = range_of(mine.points)
            ahead.append(here)
            if around_me:
                ahead += [*view.ranges_above(here)[:1], *view.ranges_below(here)[:1]]
        await asyncio.gather(
            view.load_ranges(ahead),
            view.load_buckets([mine.points] if mine is not None else []),
        )
        mine_and_around, lines = await asyncio.gather(
            self._around(view, me, mine, directory, around_me, neighbours, privacy_mode),
            view.collect(None, top_n if show_top else 0, upward=False),
        )
        top = [
            self._standing(i + 1, e.learner_id, p, me, privacy_mode)
            for i, (p, e) in enumerate(lines)
        ]
        my_standing, around = mine_and_around
        return Board(top, around, my_standing, ranked, period, privacy_mode)

    async def _around(
        self,
        view: _BoardView,
        me: str,
        mine: Placement | None,
        directory: dict[int, int],
        around_me: bool,
        neighbours: int,
        privacy_mode: str,
    ) -> tuple[Standing, list[Standing]]:
        """My rank and neighbourhood (read while the top list is read)."""
        if mine is None:
            return Standing(0, me, 0, is_me=True), []
        here = range_of(mine.points)
        higher = sum(directory[r] for r in view.ranges_above(here))
        higher += sum(n for p, n in (await view.counts_in(here)).items() if p > mine.points)
        same = view.bucket(mine.points)
        rank = 1 + higher + position_in(same, mine.entry)
        my_standing = Standing(rank, me, mine.points, is_me=True)
        if not around_me:
            return my_standing, []
        ahead_of_me = [e for e in same if e.learner_id != me and e.key() < mine.entry.key()]
        behind_me = [e for e in same if e.learner_id != me and e.key() > mine.entry.key()]
        above = [(mine.points, e) for e in reversed(ahead_of_me)][:neighbours]
        below = [(mine.points, e) for e in behind_me][:neighbours]
        more_above, more_below = await asyncio.gather(
            view.collect(mine.points, neighbours - len(above), upward=True),
            view.collect(mine.points, neighbours - len(below), upward=False),
        )
        above += more_above
        below += more_below
        around = [
            *(
                self._standing(rank - i - 1, e.learner_id, p, me, privacy_mode)
                for i, (p, e) in reversed(list(enumerate(above)))
            ),
            my_standing,
            *(
                self._standing(rank + i + 1, e.learner_id, p, me, privacy_mode)
                for i, (p, e) in enumerate(below)
            ),
        ]
        return my_standing, around

    async def teams(self, tenant_id: str, me: str, *, period: str, top_n: int) -> Board:
        """Teams ranked by the sum of their members' points (ties: team id); totals
        are kept per team and period by :class:`~.boards.BoardWriter`."""
        teams = await self._teams.teams(tenant_id)
        totals = await asyncio.gather(
            *(self._boards.team_total(tenant_id, str(t["team_id"]), period) for t in teams)
        )
        ordered_teams = sorted(
            (
                (str(t["team_id"]), int((doc or {}).get("total", 0)))
                for t, doc in zip(teams, totals, strict=True)
            ),
            key=lambda item: (-item[1], item[0]),
        )
        my_teams = {t["team_id"] for t in teams if me in t.get("member_ids", ())}
        standings = [
            Standing(i + 1, "", points, team_id=team, is_me=team in my_teams)
            for i, (team, points) in enumerate(ordered_teams)
        ]
        mine = next((s for s in standings if s.is_me), Standing(0, me, 0, is_me=True))
        return Board(
            standings[:top_n], [s for s in standings if s.is_me], mine, len(standings), period, ""
        )

    async def require_team(self, tenant_id: str, team_id: str) -> None:
        if await self._teams.team(tenant_id, team_id) is None:
            raise NotFound("team", team_id)

    @staticmethod
    def _standing(rank: int, learner: str, points: int, me: str, privacy_mode: str) -> Standing:
        is_me = learner == me
        shown = learner if is_me or privacy_mode != "anonymous" else ""
        return Standing(rank, shown, points, is_me=is_me)
