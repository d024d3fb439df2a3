"""Likes, popularity indicators and participants."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from agora_community.adapters.postgres.tenant_scoped import Row, TenantScoped
from agora_community.domain.model import Like, TargetKind
from agora_community.domain.rules import PopularityState

_STATE: Final = "likes, comments, participants, trending_score, trending_at"


TRENDING: Final = (
    f"SELECT target_type, target_id, trending_rank, {_STATE} FROM popularity"
    " WHERE tenant_id = %s AND trending_rank IS NOT NULL"
    " ORDER BY trending_rank DESC, target_type, target_id LIMIT %s"
)
"""Top targets now (index ``popularity_trending``; params: tenant, limit)."""
TRENDING_OF_KIND: Final = (
    f"SELECT target_type, target_id, trending_rank, {_STATE} FROM popularity"
    " WHERE tenant_id = %s AND target_type = %s AND trending_rank IS NOT NULL"
    " ORDER BY trending_rank DESC, target_id LIMIT %s"
)
"""Top targets of one kind (index ``popularity_trending_by_type``)."""


def _columns(targets: Sequence[tuple[TargetKind, str]]) -> tuple[list[str], list[str]]:
    return [kind.value for kind, _ in targets], [target_id for _, target_id in targets]


def _state(row: Row) -> PopularityState:
    return PopularityState(
        likes=row[0],
        comments=row[1],
        participants=row[2],
        trending_score=row[3],
        trending_at=row[4],
    )


class PostgresLikeRepository(TenantScoped):
    async def activate(self, like: Like) -> bool:
        # Concurrent likes of one person meet on the primary key: the first inserts, the
        # others wait for it and then find the row active, so they change nothing.
        row = await self._one(
            "INSERT INTO likes AS l (tenant_id, target_type, target_id, user_id, like_id,"
            " owner_id, space_id, active, changed_at) VALUES (%s, %s, %s, %s, %s, %s, %s, true, %s)"
            " ON CONFLICT (tenant_id, target_type, target_id, user_id) DO UPDATE SET active = true,"
            " changed_at = EXCLUDED.changed_at, owner_id = EXCLUDED.owner_id,"
            " space_id = EXCLUDED.space_id WHERE NOT l.active RETURNING 1",
            (
                self._tenant,
                like.kind.value,
                like.target_id,
                like.user_id,
                like.like_id,
                like.owner_id,
                like.space_id,
                like.changed_at,
            ),
        )
        return row is not None

    async def deactivate(
        self, kind: TargetKind, target_id: str, user_id: str, at: datetime
    ) -> Like | None:
        row = await self._one(
            "UPDATE likes SET active = false, changed_at = %s WHERE tenant_id = %s"
            " AND target_type = %s AND target_id = %s AND user_id = %s AND active"
            " RETURNING like_id::text, owner_id, space_id",
            (at, self._tenant, kind.value, target_id, user_id),
        )
        if row is None:
            return None
        return Like(row[0], kind, target_id, user_id, row[1], row[2], active=False, changed_at=at)

    async def liked(
        self, user_id: str, targets: Sequence[tuple[TargetKind, str]]
    ) -> set[tuple[TargetKind, str]]:
        if not targets:
            return set()
        rows = await self._all(
            "SELECT l.target_type, l.target_id FROM unnest(%b::text[], %b::text[]) AS t(k, id)"
            " JOIN likes l ON l.tenant_id = %s AND l.target_type = t.k AND l.target_id = t.id"
            " AND l.user_id = %s AND l.active",
            (*_columns(targets), self._tenant, user_id),
        )
        return {(TargetKind(kind), target_id) for kind, target_id in rows}


class PostgresPopularityRepository(TenantScoped):
    async def add_participants(
        self, engagements: Sequence[tuple[str, str, str]]
    ) -> set[tuple[str, str, str]]:
        if not engagements:
            return set()
        kinds, targets, people = (list(column) for column in zip(*engagements, strict=True))
        rows = await self._all(
            "INSERT INTO participants (tenant_id, target_type, target_id, user_id)"
            " SELECT %s, k, t, u FROM unnest(%b::text[], %b::text[], %b::text[]) AS e(k, t, u)"
            " ON CONFLICT DO NOTHING RETURNING target_type, target_id, user_id",
            (self._tenant, kinds, targets, people),
        )
        return {(kind, target, person) for kind, target, person in rows}

    async def lock_many(
        self, targets: Sequence[tuple[str, str]]
    ) -> dict[tuple[str, str], PopularityState]:
        if not targets:
            return {}
        kinds, ids = [k for k, _ in targets], [t for _, t in targets]
        await self._run(
            "INSERT INTO popularity (tenant_id, target_type, target_id)"
            " SELECT %s, k, t FROM unnest(%b::text[], %b::text[]) AS e(k, t)"
            " ORDER BY k, t ON CONFLICT DO NOTHING",
            (self._tenant, kinds, ids),
        )
        # Locked in key order, so two transactions on overlapping targets cannot deadlock.
        rows = await self._all(
            f"SELECT p.target_type, p.target_id, {_prefixed('p')} FROM popularity p"
            " JOIN unnest(%b::text[], %b::text[]) AS e(k, t)"
            " ON p.target_type = e.k AND p.target_id = e.t WHERE p.tenant_id = %s"
            " ORDER BY p.target_type, p.target_id FOR UPDATE OF p",
            (kinds, ids, self._tenant),
        )
        return {(row[0], row[1]): _state(row[2:]) for row in rows}

    async def save_many(
        self, states: Sequence[tuple[str, str, PopularityState, float | None]]
    ) -> None:
        if not states:
            return
        await self._run(
            "UPDATE popularity p SET likes = v.likes, comments = v.comments,"
            " participants = v.participants, trending_score = v.score, trending_at = v.at,"
            " trending_rank = v.rank FROM unnest(%b::text[], %b::text[], %b::int4[],"
            " %b::int4[], %b::int4[], %b::float8[], %b::timestamptz[], %b::float8[])"
            " AS v(k, t, likes, comments, participants, score, at, rank)"
            " WHERE p.tenant_id = %s AND p.target_type = v.k AND p.target_id = v.t",
            (
                [k for k, _, _, _ in states],
                [t for _, t, _, _ in states],
                [s.likes for _, _, s, _ in states],
                [s.comments for _, _, s, _ in states],
                [s.participants for _, _, s, _ in states],
                # Binary arrays take one Python type: a whole-number score is still float8.
                [float(s.trending_score) for _, _, s, _ in states],
                [s.trending_at for _, _, s, _ in states],
                [None if rank is None else float(rank) for _, _, _, rank in states],
                self._tenant,
            ),
        )

    async def get_many(
        self, targets: Sequence[tuple[TargetKind, str]]
    ) -> dict[tuple[TargetKind, str], tuple[PopularityState, float | None]]:
        rows = await self._all(
            f"SELECT p.target_type, p.target_id, p.trending_rank, {_prefixed('p')}"
            " FROM unnest(%b::text[], %b::text[]) AS t(k, id) JOIN popularity p"
            " ON p.tenant_id = %s AND p.target_type = t.k AND p.target_id = t.id",
            (*_columns(targets), self._tenant),
        )
        return {(TargetKind(row[0]), row[1]): (_state(row[3:]), row[2]) for row in rows}

    async def trending(
        self, kind: TargetKind | None, limit: int
    ) -> list[tuple[TargetKind, str, PopularityState, float]]:
        if kind is None:
            rows = await self._all(TRENDING, (self._tenant, limit))
        else:
            rows = await self._all(TRENDING_OF_KIND, (self._tenant, kind.value, limit))
        return [(TargetKind(row[0]), row[1], _state(row[3:]), row[2]) for row in rows]


def _prefixed(alias: str) -> str:
    return ", ".join(f"{alias}.{column.strip()}" for column in _STATE.split(","))
