"""Who may read, write and moderate what: memberships, space visibility, targets."""

from __future__ import annotations

from dataclasses import dataclass

from agora_community.domain.model import (
    MODERATING_ROLES,
    Membership,
    Space,
    TargetInfo,
    TargetKind,
    Visibility,
)
from agora_community.service_layer.ports import UnitOfWork
from agora_core.errors import FailedPrecondition, NotFound, PermissionDenied
from agora_core.identity import Principal


async def membership(uow: UnitOfWork, space_id: str, user_id: str) -> Membership | None:
    """The person's active membership of the space, or None."""
    member = await uow.memberships.get(space_id, user_id)
    return member if member is not None and member.active else None


async def space_or_not_found(uow: UnitOfWork, space_id: str) -> Space:
    space = await uow.spaces.get(space_id) if space_id else None
    if space is None:
        raise NotFound("space", space_id)
    return space


async def require_member(uow: UnitOfWork, space_id: str, principal: Principal) -> Membership:
    """The caller's membership; PermissionDenied when they are not an active member."""
    member = await membership(uow, space_id, principal.subject)
    if member is None:
        raise PermissionDenied(f"you are not a member of space {space_id!r}")
    return member


@dataclass(frozen=True)
class SpaceAccess:
    """What the caller may do in a space: read its threads, moderate it."""

    readable: bool
    moderator: bool


async def space_access(uow: UnitOfWork, space_id: str | None, principal: Principal) -> SpaceAccess:
    """Both rights from one read of the space and the caller's membership.

    Tenant admins read and moderate everything; content outside any space is readable
    by the tenant and moderated by admins only; open spaces are readable by the tenant,
    invite-only ones by their active members; owners and moderators moderate their space.
    """
    if principal.is_admin:
        return SpaceAccess(readable=True, moderator=True)
    if not space_id:
        return SpaceAccess(readable=True, moderator=False)
    space, member = await uow.spaces.with_membership(space_id, principal.subject)
    active = member if member is not None and member.active else None
    return SpaceAccess(
        readable=space is not None and (space.visibility is Visibility.OPEN or active is not None),
        moderator=active is not None and active.role in MODERATING_ROLES,
    )


async def can_moderate(uow: UnitOfWork, space_id: str | None, principal: Principal) -> bool:
    """Tenant admins moderate everything; owners and moderators moderate their space."""
    return (await space_access(uow, space_id, principal)).moderator


async def can_read_space(uow: UnitOfWork, space_id: str | None, principal: Principal) -> bool:
    """Open spaces are readable by the tenant; invite-only ones by their members."""
    return (await space_access(uow, space_id, principal)).readable


async def resolve_target(uow: UnitOfWork, kind: TargetKind, target_id: str) -> TargetInfo:
    """The target for this tenant; NotFound when it does not exist here."""
    info = await _target_info(uow, kind, target_id)
    if info is None:
        raise NotFound(kind.value, target_id)
    return info


async def _target_info(uow: UnitOfWork, kind: TargetKind, target_id: str) -> TargetInfo | None:
    if kind in (TargetKind.KNOWLEDGE, TargetKind.PATH):
        known = await uow.targets.get(kind, target_id)
        if known is None:
            return None
        closed = "archived" if known.archived else None
        return TargetInfo(kind, target_id, known.owner_id, known.space_id, closed_state=closed)
    if kind is TargetKind.SPACE:
        space = await uow.spaces.get(target_id)
        return None if space is None else TargetInfo(kind, target_id, space.created_by, target_id)
    content = await uow.content.get(kind, target_id)
    if content is None:
        return None
    return TargetInfo(
        kind,
        target_id,
        content.author_id,
        content.space_id,
        hidden=content.hidden,
        closed_state="deleted" if content.deleted else None,
    )


async def target_for_engagement(
    uow: UnitOfWork, kind: TargetKind, target_id: str, principal: Principal
) -> TargetInfo:
    """A target the caller may comment on or like right now.

    Hidden content is NOT_FOUND for people who cannot moderate it; archived or deleted
    targets refuse new engagement; a target in a space needs the caller's membership.
    """
    target = await resolve_target(uow, kind, target_id)
    if target.hidden and not await can_moderate(uow, target.space_id, principal):
        raise NotFound(kind.value, target_id)
    if target.closed_state is not None:
        raise FailedPrecondition(
            f"{kind.value} {target_id!r} is {target.closed_state}", target.closed_state
        )
    if target.space_id:
        await require_member(uow, target.space_id, principal)
    return target
