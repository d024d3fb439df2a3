"""Spaces (communities of practice) and memberships; member counts change in the
transaction that changes the membership."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from agora_community.domain.model import (
    Membership,
    MembershipState,
    Space,
    SpaceRole,
    Visibility,
    new_id,
    now_ms,
)
from agora_community.service_layer.access import can_read_space, membership, space_or_not_found
from agora_community.service_layer.outgoing import outgoing
from agora_community.service_layer.paging import NameCursor, after_time, time_cursor
from agora_community.service_layer.ports import UnitOfWork, UnitOfWorkFactory
from agora_contracts.events.domains.community import MemberJoinedV1, MemberLeftV1
from agora_core.errors import AlreadyExists, FailedPrecondition, NotFound, PermissionDenied
from agora_core.idempotency import CreateRequest
from agora_core.identity import Principal
from agora_core.pagination import Page, decode_page_token, keyset_page
from agora_core.text import fold, sanitize_markdown


async def create_space(
    uows: UnitOfWorkFactory,
    principal: Principal,
    *,
    name: str,
    description: str,
    visibility: Visibility,
    topic: str,
    request: CreateRequest | None = None,
) -> Space:
    """Create a space; the caller becomes its owner (member.joined with role owner).

    With ``request`` (a request id), a repeat answers with the space the first call
    created instead of creating another (AIP-155).
    """
    now = now_ms()
    space = Space(
        space_id=new_id(),
        name=name,
        name_folded=fold(name),
        description=sanitize_markdown(description),
        visibility=visibility,
        topic=topic,
        created_by=principal.subject,
        create_time=now,
    )
    async with uows(principal.tenant_id) as uow:
        if request is not None:
            created = await uow.request_ids.created_by(request)
            if created is not None:
                return await space_or_not_found(uow, created)
        if not await uow.spaces.add(space):
            raise AlreadyExists(f"a space named {name!r} already exists", reason="SPACE_NAME_TAKEN")
        await _activate(uow, space, principal.subject, SpaceRole.OWNER, invited_by=None, now=now)
        if request is not None:
            await uow.request_ids.remember(request, space.space_id)
    return replace(space, member_count=1)


async def update_space(
    uows: UnitOfWorkFactory,
    principal: Principal,
    space_id: str,
    *,
    name: str | None,
    description: str | None,
    visibility: Visibility | None,
) -> tuple[Space, Membership | None]:
    """Change what the owner (or an admin) asked; the space and the caller's membership."""
    async with uows(principal.tenant_id) as uow:
        await space_or_not_found(uow, space_id)
        await _require_owner(uow, space_id, principal)
        renamed = await uow.spaces.rename(
            space_id,
            name=name or None,
            description=sanitize_markdown(description) if description is not None else None,
            visibility=visibility.value if visibility is not None else None,
        )
        if not renamed:
            raise AlreadyExists(f"a space named {name!r} already exists")
        return await space_or_not_found(uow, space_id), await membership(
            uow, space_id, principal.subject
        )


async def get_space(
    uows: UnitOfWorkFactory, principal: Principal, space_id: str
) -> tuple[Space, Membership | None]:
    """The space and the caller's active membership of it."""
    async with uows(principal.tenant_id) as uow:
        space = await space_or_not_found(uow, space_id)
        return space, await membership(uow, space_id, principal.subject)


async def join_space(uows: UnitOfWorkFactory, principal: Principal, space_id: str) -> Membership:
    """Join an open space or accept an invitation; joining twice changes nothing."""
    async with uows(principal.tenant_id) as uow:
        space = await space_or_not_found(uow, space_id)
        existing = await uow.memberships.get(space_id, principal.subject)
        if existing is not None and existing.active:
            return existing
        invited = existing is not None and existing.state is MembershipState.INVITED
        if space.visibility is Visibility.INVITE_ONLY and not invited:
            raise PermissionDenied(f"space {space_id!r} is invite-only and you are not invited")
        return await _activate(
            uow,
            space,
            principal.subject,
            SpaceRole.MEMBER,
            invited_by=existing.invited_by if invited and existing else None,
            now=now_ms(),
        )


async def leave_space(uows: UnitOfWorkFactory, principal: Principal, space_id: str) -> None:
    """Leave; the last owner must hand the space over first."""
    async with uows(principal.tenant_id) as uow:
        await space_or_not_found(uow, space_id)
        member = await membership(uow, space_id, principal.subject)
        if member is None:
            raise FailedPrecondition(f"you are not a member of space {space_id!r}", "not_member")
        if member.role is SpaceRole.OWNER and await uow.memberships.count_owners(space_id) <= 1:
            raise FailedPrecondition("the last owner cannot leave the space", "last_owner")
        now = now_ms()
        if await uow.memberships.leave(space_id, principal.subject, now):
            await uow.spaces.count_members(space_id, -1)
            uow.add_events(
                [
                    outgoing(
                        uow.tenant_id,
                        MemberLeftV1(space_id=space_id, member_id=principal.subject, left_at=now),
                        subject=space_id,
                        actor_id=principal.subject,
                    )
                ]
            )


async def invite(
    uows: UnitOfWorkFactory, principal: Principal, space_id: str, user_id: str
) -> None:
    """Invite a person (owners and moderators); an active member needs no invitation."""
    async with uows(principal.tenant_id) as uow:
        await space_or_not_found(uow, space_id)
        inviter = await membership(uow, space_id, principal.subject)
        if inviter is None or inviter.role is SpaceRole.MEMBER:
            raise PermissionDenied("only owners and moderators of the space may invite")
        await uow.memberships.invite(space_id, user_id, principal.subject)


async def set_role(
    uows: UnitOfWorkFactory, principal: Principal, space_id: str, user_id: str, role: SpaceRole
) -> Membership:
    """Change a member's role (owners and tenant admins)."""
    async with uows(principal.tenant_id) as uow:
        await space_or_not_found(uow, space_id)
        await _require_owner(uow, space_id, principal)
        member = await membership(uow, space_id, user_id)
        if member is None:
            raise NotFound("member", user_id)
        if (
            member.role is SpaceRole.OWNER
            and role is not SpaceRole.OWNER
            and await uow.memberships.count_owners(space_id) <= 1
        ):
            raise FailedPrecondition("a space keeps at least one owner", "last_owner")
        await uow.memberships.set_role(space_id, user_id, role)
        return replace(member, role=role)


async def my_spaces(
    uows: UnitOfWorkFactory, principal: Principal, size: int, token: str
) -> Page[tuple[Membership, Space]]:
    """(membership, space) of the caller's active memberships, newest first."""
    async with uows(principal.tenant_id) as uow:
        members = await uow.memberships.of_person(principal.subject, after_time(token), size + 1)
        by_id = {s.space_id: s for s in await uow.spaces.get_many([m.space_id for m in members])}
    rows = [(m, by_id[m.space_id]) for m in members if m.space_id in by_id]
    return keyset_page(rows, size, lambda row: time_cursor(row[0].joined_at, row[0].space_id))


async def discover(
    uows: UnitOfWorkFactory, principal: Principal, name_prefix: str, size: int, token: str
) -> Page[Space]:
    """Spaces the caller is not in, by folded name; invite-only ones are listed too."""
    cursor = decode_page_token(token, NameCursor)
    async with uows(principal.tenant_id) as uow:
        found = await uow.spaces.discover(
            principal.subject,
            fold(name_prefix) if name_prefix else "",
            (cursor.after_name, cursor.after_id) if cursor else None,
            size + 1,
        )
    return keyset_page(
        found, size, lambda s: NameCursor(after_name=s.name_folded, after_id=s.space_id)
    )


async def members(
    uows: UnitOfWorkFactory, principal: Principal, space_id: str, size: int, token: str
) -> Page[Membership]:
    """Active members, earliest first; invite-only spaces show them to members only."""
    async with uows(principal.tenant_id) as uow:
        await space_or_not_found(uow, space_id)
        if not await can_read_space(uow, space_id, principal):
            raise PermissionDenied(f"only members see the members of space {space_id!r}")
        found = await uow.memberships.of_space(space_id, after_time(token), size + 1)
    return keyset_page(found, size, lambda m: time_cursor(m.joined_at, m.user_id))


async def _require_owner(uow: UnitOfWork, space_id: str, principal: Principal) -> None:
    if principal.is_admin:
        return
    member = await membership(uow, space_id, principal.subject)
    if member is None or member.role is not SpaceRole.OWNER:
        raise PermissionDenied("only owners of the space (or admins) may do this")


async def _activate(
    uow: UnitOfWork,
    space: Space,
    user_id: str,
    role: SpaceRole,
    *,
    invited_by: str | None,
    now: datetime,
) -> Membership:
    """Make the membership active; count it and announce it only if this changed it
    (two concurrent joins meet on the row lock: one of them activates)."""
    member = Membership(
        space.space_id, user_id, role, MembershipState.ACTIVE, invited_by=invited_by, joined_at=now
    )
    if await uow.memberships.activate(member):
        await uow.spaces.count_members(space.space_id, 1)
        uow.add_events(
            [
                outgoing(
                    uow.tenant_id,
                    MemberJoinedV1(
                        space_id=space.space_id,
                        space_name=space.name,
                        member_id=user_id,
                        role=role.value,
                        invited_by=invited_by,
                        joined_at=now,
                    ),
                    subject=space.space_id,
                    actor_id=user_id,
                )
            ]
        )
        return member
    current = await uow.memberships.get(space.space_id, user_id)
    assert current is not None
    return current
