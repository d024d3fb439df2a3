"""Use case: leaderboards (top N, "around me", team totals) with privacy built in.

A score document per (board, period, learner) is kept by :mod:`.scoring`. Order and
tie rule: more points first; equal points → whoever reached that score first (the time
of the event that produced it); then learner id. Ranks are exact: ``1 + the number of
public scores ordered before mine``. Opted-out learners are on no public board (their
points still count in team totals). Tenant privacy modes: ``public``; ``anonymous``
(everyone but the caller shown without id); ``neighbours_only`` (no top list, only the
caller's neighbourhood).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from agora_core.errors import NotFound
from agora_gamification.adapters.mongo import SCORE_ORDER, SCORES, TEAMS, GamificationStore
from agora_gamification.domain.settings import ALL_TIME, local_day, month_key, week_key

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


def _better_than(score: Mapping[str, Any]) -> dict[str, Any]:
    points, reached, learner = score["points"], score["reached_at"], score["learner_id"]
    return {
        "$or": [
            {"points": {"$gt": points}},
            {"points": points, "reached_at": {"$lt": reached}},
            {"points": points, "reached_at": reached, "learner_id": {"$lt": learner}},
        ]
    }


def _worse_than(score: Mapping[str, Any]) -> dict[str, Any]:
    points, reached, learner = score["points"], score["reached_at"], score["learner_id"]
    return {
        "$or": [
            {"points": {"$lt": points}},
            {"points": points, "reached_at": {"$gt": reached}},
            {"points": points, "reached_at": reached, "learner_id": {"$gt": learner}},
        ]
    }


_REVERSED = tuple((field, -direction) for field, direction in SCORE_ORDER)


class Leaderboards:
    """Reads boards; the tenant and caller come from the request's principal."""

    def __init__(self, store: GamificationStore) -> None:
        self._store = store

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
        """Top N and/or the caller's neighbourhood on a people board."""
        scores = self._store.repo(SCORES, tenant_id)
        base = {"board": board, "period": period, "public": True}
        top: list[Standing] = []
        if privacy_mode != "neighbours_only":
            docs = await scores.find(base, sort=SCORE_ORDER, limit=top_n)
            top = [self._standing(i + 1, d, me, privacy_mode) for i, d in enumerate(docs)]
        ranked = await scores.count(base)
        mine = await scores.find_one({**base, "learner_id": me})
        my_standing = Standing(0, me, 0, is_me=True)
        around: list[Standing] = []
        if mine is not None:
            rank = 1 + await scores.count({**base, **_better_than(mine)})
            my_standing = Standing(rank, me, int(mine["points"]), is_me=True)
            if around_me:
                above = await scores.find(
                    {**base, **_better_than(mine)}, sort=_REVERSED, limit=neighbours
                )
                below = await scores.find(
                    {**base, **_worse_than(mine)}, sort=SCORE_ORDER, limit=neighbours
                )
                around = [
                    *(
                        self._standing(rank - i - 1, d, me, privacy_mode)
                        for i, d in reversed(list(enumerate(above)))
                    ),
                    my_standing,
                    *(
                        self._standing(rank + i + 1, d, me, privacy_mode)
                        for i, d in enumerate(below)
                    ),
                ]
        return Board(top, around, my_standing, ranked, period, privacy_mode)

    async def teams(self, tenant_id: str, me: str, *, period: str, top_n: int) -> Board:
        """Teams ranked by the sum of their members' points (ties: team id)."""
        teams = await self._store.repo(TEAMS, tenant_id).find({}, sort=(("team_id", 1),))
        totals = {t["team_id"]: 0 for t in teams}
        cursor = await self._store.database[SCORES].aggregate(
            [
                {
                    "$match": {
                        "tenant_id": tenant_id,
                        "period": period,
                        "board": {"$in": [f"team:{t}" for t in totals]},
                    }
                },
                {"$group": {"_id": "$board", "total": {"$sum": "$points"}}},
            ]
        )
        for row in await cursor.to_list():
            totals[str(row["_id"]).removeprefix("team:")] = int(row["total"])
        ordered = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
        my_teams = {t["team_id"] for t in teams if me in t.get("member_ids", ())}
        standings = [
            Standing(i + 1, "", points, team_id=team, is_me=team in my_teams)
            for i, (team, points) in enumerate(ordered)
        ]
        mine = next((s for s in standings if s.is_me), Standing(0, me, 0, is_me=True))
        return Board(
            standings[:top_n], [s for s in standings if s.is_me], mine, len(standings), period, ""
        )

    async def require_team(self, tenant_id: str, team_id: str) -> None:
        if await self._store.repo(TEAMS, tenant_id).find_one({"team_id": team_id}) is None:
            raise NotFound("team", team_id)

    @staticmethod
    def _standing(rank: int, doc: Mapping[str, Any], me: str, privacy_mode: str) -> Standing:
        learner = str(doc["learner_id"])
        is_me = learner == me
        shown = learner if is_me or privacy_mode != "anonymous" else ""
        return Standing(rank, shown, int(doc["points"]), is_me=is_me)
