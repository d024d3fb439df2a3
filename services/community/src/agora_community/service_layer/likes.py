"""Likes: one row per (tenant, target, person); the call that changes the state writes
its event in the same transaction."""

from __future__ import annotations

from agora_community.domain.model import Like, TargetKind, derived_id, now_ms
from agora_community.service_layer.access import target_for_engagement
from agora_community.service_layer.outgoing import outgoing
from agora_community.service_layer.ports import UnitOfWorkFactory
from agora_community.service_layer.rate_limits import LIKE, RateLimits, spend
from agora_contracts.events.domains.community import LikeAddedV1, LikeRemovedV1
from agora_core.errors import FailedPrecondition
from agora_core.identity import Principal


async def like(
    uows: UnitOfWorkFactory,
    principal: Principal,
    limits: RateLimits,
    kind: TargetKind,
    target_id: str,
) -> bool:
    """Like the target; True when this call changed the state (so emitted like.added).

    The row's key is the natural key, so concurrent likes of one person on one target
    meet on one row; only the statement that flips it to active writes the event.
    Liking one's own content is refused: it would credit oneself (gamification refuses
    such credit too, from ``target_owner_id``). Pipelined: every statement's result is
    read, so the transaction costs one round trip per statement (the rate window, the
    target, the like), its BEGIN and outbox row riding with them.
    """
    async with uows(principal.tenant_id, pipelined=True) as uow:
        await spend(uow, limits, LIKE, principal.subject)
        target = await target_for_engagement(uow, kind, target_id, principal)
        if target.owner_id == principal.subject:
            raise FailedPrecondition("you cannot like your own content", "own_content")
        now = now_ms()
        liked = Like(
            like_id=derived_id(uow.tenant_id, kind.value, target_id, principal.subject),
            kind=kind,
            target_id=target_id,
            user_id=principal.subject,
            owner_id=target.owner_id,
            space_id=target.space_id,
            active=True,
            changed_at=now,
        )
        changed = await uow.likes.activate(liked)
        if changed:
            added = LikeAddedV1(
                like_id=liked.like_id,
                target_type=kind.value,
                target_id=target_id,
                liker_id=principal.subject,
                target_owner_id=target.owner_id,
                space_id=target.space_id,
                liked_at=now,
            )
            uow.add_events(
                [outgoing(uow.tenant_id, added, subject=target_id, actor_id=principal.subject)]
            )
    return changed


async def unlike(
    uows: UnitOfWorkFactory,
    principal: Principal,
    limits: RateLimits,
    kind: TargetKind,
    target_id: str,
) -> bool:
    """Withdraw the like; True when there was one (so emitted like.removed)."""
    async with uows(principal.tenant_id, pipelined=True) as uow:
        await spend(uow, limits, LIKE, principal.subject)
        now = now_ms()
        before = await uow.likes.deactivate(kind, target_id, principal.subject, now)
        if before is not None:
            removed = LikeRemovedV1(
                like_id=before.like_id,
                target_type=kind.value,
                target_id=target_id,
                liker_id=principal.subject,
                target_owner_id=before.owner_id,
                removed_at=now,
            )
            uow.add_events(
                [outgoing(uow.tenant_id, removed, subject=target_id, actor_id=principal.subject)]
            )
    return before is not None
