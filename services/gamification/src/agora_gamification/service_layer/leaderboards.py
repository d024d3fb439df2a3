"""Use case: leaderboards (top N, "around me", team totals) with privacy built in.

A board is read whole in one round trip (``BoardReads``): the tenant's settings, the
top N, the caller's rank (1 + public entries ordered before theirs) and their
neighbours. Order and tie rule: more points first; equal points → whoever reached
that score first; then learner id. Opted-out learners are on no public board (their
points still count in team totals). Tenant privacy modes: ``public``; ``anonymous``
(everyone but the caller shown without id); ``neighbours_only`` (no top list, only the
caller's neighbourhood).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from agora_core.errors import NotFound
from agora_core.identity import Principal
from agora_gamification.domain.boards import BoardRead, BoardSnapshot, Placement, board_key
from agora_gamification.domain.settings import (
    ALL_TIME,
    TenantSettings,
    local_day,
    month_key,
    week_key,
)
from agora_gamification.service_layer.ports import BoardReads, UnitOfWork, UnitOfWorkFactory
from agora_gamification.service_layer.scoring import Clock

PeriodKind = Literal["all", "week", "month"]
DEFAULT_ZONE = TenantSettings().time_zone
BoardKind = Literal["tenant", "space", "team", "teams"]


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


@dataclass(frozen=True)
class BoardQuery:
    """A validated leaderboard request."""

    kind: BoardKind
    scope_id: str
    period: PeriodKind
    period_key: str
    top_n: int
    around_me: bool
    neighbours: int


def current_period(kind: PeriodKind, now: dt.datetime, zone: str) -> str:
    """The period key of ``now`` in the tenant's zone (weeks and months close there)."""
    if kind == "all":
        return ALL_TIME
    day = local_day(now, zone)
    return week_key(day) if kind == "week" else month_key(day)


class Leaderboards:
    """Reads boards; the tenant and caller come from the principal."""

    def __init__(self, uow: UnitOfWorkFactory, reads: BoardReads, clock: Clock) -> None:
        self._uow = uow
        self._reads = reads
        self._clock = clock

    async def board(self, caller: Principal, query: BoardQuery) -> Board:
        if query.kind == "teams":
            async with self._uow(caller.tenant_id) as uow:
                settings = (await uow.config.tenant_state()).settings
                period = query.period_key or current_period(
                    query.period, self._clock(), settings.time_zone
                )
                return await _teams(uow, caller.subject, period, query.top_n)
        # One round trip: the period of a week or month board is the tenant's, which the
        # read itself brings; it is guessed in the default zone, and read again in the
        # few hours a week when the tenant's zone is in another period.
        now = self._clock()
        board = board_key(query.kind, query.scope_id)
        guess = query.period_key or current_period(query.period, now, DEFAULT_ZONE)
        snapshot = await self._snapshot(caller, query, board, guess)
        if not snapshot.team_exists:
            raise NotFound("team", query.scope_id)
        period = query.period_key or current_period(query.period, now, snapshot.settings.time_zone)
        if period != guess:
            snapshot = await self._snapshot(caller, query, board, period)
        return _people(snapshot, caller.subject, period, query)

    async def _snapshot(
        self, caller: Principal, query: BoardQuery, board: str, period: str
    ) -> BoardSnapshot:
        read = BoardRead(
            board=board,
            period=period,
            learner_id=caller.subject,
            top_n=query.top_n,
            neighbours=query.neighbours if query.around_me else 0,
            team_id=query.scope_id if query.kind == "team" else "",
        )
        return await self._reads.snapshot(caller.tenant_id, read)


def _people(snapshot: BoardSnapshot, me: str, period: str, query: BoardQuery) -> Board:
    privacy_mode = snapshot.settings.privacy_mode
    shown = [] if privacy_mode == "neighbours_only" else snapshot.top
    top = [_standing(i + 1, p, me, privacy_mode) for i, p in enumerate(shown)]
    ranked, mine = snapshot.ranked_count, snapshot.mine
    if mine is None or not mine.public:
        return Board(top, [], Standing(0, me, 0, is_me=True), ranked, period, privacy_mode)
    rank = snapshot.rank
    my_standing = Standing(rank, me, mine.points, is_me=True)
    around: list[Standing] = []
    if query.around_me:
        around = [
            *(
                _standing(rank - i - 1, p, me, privacy_mode)
                for i, p in reversed(list(enumerate(snapshot.above)))
            ),
            my_standing,
            *(_standing(rank + i + 1, p, me, privacy_mode) for i, p in enumerate(snapshot.below)),
        ]
    return Board(top, around, my_standing, ranked, period, privacy_mode)


async def _teams(uow: UnitOfWork, me: str, period: str, top_n: int) -> Board:
    """Teams ranked by the sum of their members' points (ties: team id)."""
    teams = await uow.memberships.teams()
    totals = await uow.boards.totals([board_key("team", t.team_id) for t in teams], period)
    ordered = sorted(
        ((t.team_id, totals.get(board_key("team", t.team_id), 0)) for t in teams),
        key=lambda item: (-item[1], item[0]),
    )
    mine = {t.team_id for t in teams if me in t.member_ids}
    standings = [
        Standing(i + 1, "", points, team_id=team, is_me=team in mine)
        for i, (team, points) in enumerate(ordered)
    ]
    my_standing = next((s for s in standings if s.is_me), Standing(0, me, 0, is_me=True))
    return Board(
        standings[:top_n],
        [s for s in standings if s.is_me],
        my_standing,
        len(standings),
        period,
        "",
    )


def _standing(rank: int, placement: Placement, me: str, privacy_mode: str) -> Standing:
    is_me = placement.learner_id == me
    shown = placement.learner_id if is_me or privacy_mode != "anonymous" else ""
    return Standing(rank, shown, placement.points, is_me=is_me)
