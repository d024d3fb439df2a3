"""Popularity indicators per target, maintained incrementally from our own events.

The consumer applies the like/comment/moderation events of a batch to each target's
row once, in the batch's transaction (row lock, new indicators, one
popularity.changed per target and batch); the batch's
processed-event marks commit with it, so a redelivery changes nothing. Reads never
recompute: trending is served by the index on the time-independent rank
(``domain.rules.trending_rank``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from agora_community.domain.model import Popularity, TargetKind, now_ms
from agora_community.domain.rules import (
    PopularityState,
    apply_engagement,
    decayed,
    trending_rank,
)
from agora_community.service_layer.outgoing import outgoing
from agora_community.service_layer.ports import UnitOfWork, UnitOfWorkFactory
from agora_contracts.events.domains.community import PopularityChangedV1
from agora_core.identity import Principal


@dataclass(frozen=True)
class Engagement:
    """What one event does to a target's indicators."""

    kind: str
    target_id: str
    at: datetime
    likes: int = 0
    comments: int = 0
    participant: str | None = None
    weight: float = 0.0


async def apply(uow: UnitOfWork, engagement: Engagement, half_life_hours: float) -> None:
    """Apply one engagement to its target's indicators and announce the new ones."""
    await apply_many(uow, [engagement], half_life_hours)


async def apply_many(
    uow: UnitOfWork, engagements: Sequence[Engagement], half_life_hours: float
) -> None:
    """Apply engagements in order; each target's row is locked, written and announced
    once however many of them it received (a handful of statements per batch)."""
    per_target: dict[tuple[str, str], list[Engagement]] = {}
    for engagement in engagements:
        per_target.setdefault((engagement.kind, engagement.target_id), []).append(engagement)
    first = await uow.popularity.add_participants(
        [(e.kind, e.target_id, e.participant) for e in engagements if e.participant]
    )
    states = await uow.popularity.lock_many(sorted(per_target))
    written: list[tuple[str, str, PopularityState, float | None]] = []
    for (kind, target_id), changes in per_target.items():
        state = states[(kind, target_id)]
        for e in changes:
            key = (kind, target_id, e.participant or "")
            joined = key in first
            first.discard(key)  # a person's first engagement counts once
            state = apply_engagement(
                state,
                likes=e.likes,
                comments=e.comments,
                new_participant=joined,
                weight=e.weight,
                at=e.at,
                half_life_hours=half_life_hours,
            )
        rank = trending_rank(state.trending_score, state.trending_at, half_life_hours)
        written.append((kind, target_id, state, rank))
        changed = PopularityChangedV1(
            target_type=kind,
            target_id=target_id,
            likes=state.likes,
            comments=state.comments,
            participants=state.participants,
            trending_score=state.trending_score,
            as_of=state.trending_at or changes[-1].at,
        )
        uow.add_events([outgoing(uow.tenant_id, changed, subject=target_id, actor_id=None)])
    await uow.popularity.save_many(written)


@dataclass(frozen=True)
class PopularityView:
    """A target's indicators and whether the caller likes it."""

    popularity: Popularity
    liked_by_me: bool


async def popularity_of(
    uows: UnitOfWorkFactory,
    principal: Principal,
    targets: list[tuple[TargetKind, str]],
    half_life_hours: float,
) -> list[PopularityView]:
    """Indicators of each target in order (absent ones all zero), trending decayed to now."""
    async with uows(principal.tenant_id, pipelined=True) as uow:
        found = await uow.popularity.get_many(targets)
        mine = await uow.likes.liked(principal.subject, targets)
    now = now_ms()
    zero = (PopularityState(), None)
    return [
        PopularityView(
            _public(kind, target_id, found.get((kind, target_id), zero)[0], now, half_life_hours),
            (kind, target_id) in mine,
        )
        for kind, target_id in targets
    ]


async def trending(
    uows: UnitOfWorkFactory,
    principal: Principal,
    kind: TargetKind | None,
    limit: int,
    half_life_hours: float,
) -> list[PopularityView]:
    """Targets with the highest trending score now (one index range read)."""
    async with uows(principal.tenant_id, pipelined=True) as uow:
        ranked = await uow.popularity.trending(kind, limit)
        mine = await uow.likes.liked(principal.subject, [(k, t) for k, t, _, _ in ranked])
    now = now_ms()
    return [
        PopularityView(_public(k, t, state, now, half_life_hours), (k, t) in mine)
        for k, t, state, _ in ranked
    ]


def _public(
    kind: TargetKind, target_id: str, state: PopularityState, now: datetime, half_life: float
) -> Popularity:
    at = state.trending_at or now
    return Popularity(
        kind=kind,
        target_id=target_id,
        likes=state.likes,
        comments=state.comments,
        participants=state.participants,
        trending_score=decayed(state.trending_score, at, max(at, now), half_life),
        as_of=now,
    )
