"""Spaces (communities of practice) and memberships."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from agora_community.domain.model import (
    MembershipState,
    SpaceRole,
    Visibility,
    new_id,
    now_ms,
)
from agora_community.service_layer.common import (
    Caller,
    can_read_space,
    membership,
    outgoing,
    space_or_not_found,
)
from agora_community.service_layer.ports import Store
from agora_contracts.events.domains.community import MemberJoinedV1, MemberLeftV1
from agora_core.errors import AlreadyExists, FailedPrecondition, NotFound, PermissionDenied
from agora_core.outbox import with_outbox
from agora_core.text import fold, sanitize_markdown


async def create_space(
    store: Store,
    caller: Caller,
    *,
    name: str,
    description: str,
    visibility: Visibility,
    topic: str,
) -> dict[str, Any]:
    """Create a space; the caller becomes its owner (member.joined with role owner)."""
    now = now_ms()
    space = {
        "_id": new_id(),
        "name": name,
        "name_folded": fold(name),
        "description": sanitize_markdown(description),
        "visibility": visibility.value,
        "topic": topic,
        "created_by": caller.user_id,
        "create_time": now,
        "member_count": 0,
    }
    try:
        await store.spaces.insert_one(space)
    except DuplicateKeyError:
        raise AlreadyExists(f"a space named {name!r} already exists") from None
    await _activate(store, space, caller.user_id, SpaceRole.OWNER, invited_by=None, now=now)
    space["member_count"] = 1
    return space


async def update_space(
    store: Store,
    caller: Caller,
    space_id: str,
    *,
    name: str | None,
    description: str | None,
    visibility: Visibility | None,
) -> dict[str, Any]:
    """Change what the owner (or an admin) asked; other fields stay as they are."""
    await space_or_not_found(store, space_id)
    await _require_owner(store, space_id, caller)
    changes: dict[str, Any] = {}
    if name:
        changes.update(name=name, name_folded=fold(name))
    if description is not None:
        changes["description"] = sanitize_markdown(description)
    if visibility is not None:
        changes["visibility"] = visibility.value
    if changes:
        try:
            await store.spaces.update_one({"_id": space_id}, {"$set": changes})
        except DuplicateKeyError:
            raise AlreadyExists(f"a space named {name!r} already exists") from None
    return await space_or_not_found(store, space_id)


async def join_space(store: Store, caller: Caller, space_id: str) -> dict[str, Any]:
    """Join an open space or accept an invitation; joining twice changes nothing."""
    space = await space_or_not_found(store, space_id)
    key = store.key(space_id, caller.user_id)
    existing = await store.memberships.find_one({"_id": key})
    if existing is not None and existing["state"] == MembershipState.ACTIVE.value:
        return existing
    invited = existing is not None and existing["state"] == MembershipState.INVITED.value
    if space["visibility"] == Visibility.INVITE_ONLY.value and not invited:
        raise PermissionDenied(f"space {space_id!r} is invite-only and you are not invited")
    return await _activate(
        store,
        space,
        caller.user_id,
        SpaceRole.MEMBER,
        invited_by=existing.get("invited_by") if invited and existing else None,
        now=now_ms(),
    )


async def leave_space(store: Store, caller: Caller, space_id: str) -> None:
    """Leave; the last owner must hand the space over first."""
    await space_or_not_found(store, space_id)
    member = await membership(store, space_id, caller.user_id)
    if member is None:
        raise FailedPrecondition(f"you are not a member of space {space_id!r}", "not_member")
    if member["role"] == SpaceRole.OWNER.value:
        owners = await store.memberships.count(
            {
                "space_id": space_id,
                "state": MembershipState.ACTIVE.value,
                "role": SpaceRole.OWNER.value,
            }
        )
        if owners <= 1:
            raise FailedPrecondition("the last owner cannot leave the space", "last_owner")
    now = now_ms()
    event = outgoing(
        store,
        MemberLeftV1(space_id=space_id, member_id=caller.user_id, left_at=now),
        subject=space_id,
        actor_id=caller.user_id,
    )
    left = await store.memberships.update_one(
        {"_id": member["_id"], "state": MembershipState.ACTIVE.value},
        with_outbox({"$set": {"state": MembershipState.LEFT.value, "left_at": now}}, [event]),
    )
    if left:
        store.events_written(store.memberships, member["_id"])
        await store.spaces.update_one({"_id": space_id}, {"$inc": {"member_count": -1}})


async def invite(store: Store, caller: Caller, space_id: str, user_id: str) -> None:
    """Invite a person (owners and moderators); an active member needs no invitation."""
    await space_or_not_found(store, space_id)
    inviter = await membership(store, space_id, caller.user_id)
    if inviter is None or inviter["role"] == SpaceRole.MEMBER.value:
        raise PermissionDenied("only owners and moderators of the space may invite")
    key = store.key(space_id, user_id)
    try:
        await store.memberships.insert_one(
            {
                "_id": key,
                "space_id": space_id,
                "user_id": user_id,
                "role": SpaceRole.MEMBER.value,
                "state": MembershipState.INVITED.value,
                "invited_by": caller.user_id,
            }
        )
    except DuplicateKeyError:
        await store.memberships.update_one(
            {"_id": key, "state": MembershipState.LEFT.value},
            {"$set": {"state": MembershipState.INVITED.value, "invited_by": caller.user_id}},
        )


async def set_role(
    store: Store, caller: Caller, space_id: str, user_id: str, role: SpaceRole
) -> dict[str, Any]:
    """Change a member's role (owners and tenant admins)."""
    await space_or_not_found(store, space_id)
    await _require_owner(store, space_id, caller)
    member = await membership(store, space_id, user_id)
    if member is None:
        raise NotFound("member", user_id)
    if member["role"] == SpaceRole.OWNER.value and role is not SpaceRole.OWNER:
        owners = await store.memberships.count(
            {
                "space_id": space_id,
                "state": MembershipState.ACTIVE.value,
                "role": SpaceRole.OWNER.value,
            }
        )
        if owners <= 1:
            raise FailedPrecondition("a space keeps at least one owner", "last_owner")
    await store.memberships.update_one({"_id": member["_id"]}, {"$set": {"role": role.value}})
    return {**member, "role": role.value}


async def get_space(store: Store, caller: Caller, space_id: str) -> dict[str, Any]:
    return await space_or_not_found(store, space_id)


async def my_spaces(
    store: Store, caller: Caller, after: tuple[datetime, str] | None, limit: int
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(membership, space) of the caller's active memberships, newest first."""
    query: dict[str, Any] = {"user_id": caller.user_id, "state": MembershipState.ACTIVE.value}
    if after is not None:
        query["$or"] = [
            {"joined_at": {"$lt": after[0]}},
            {"joined_at": after[0], "_id": {"$gt": after[1]}},
        ]
    members = await store.memberships.find(query, sort=[("joined_at", -1), ("_id", 1)], limit=limit)
    spaces = await store.spaces.find({"_id": {"$in": [m["space_id"] for m in members]}})
    by_id = {s["_id"]: s for s in spaces}
    return [(m, by_id[m["space_id"]]) for m in members if m["space_id"] in by_id]


async def discover(
    store: Store,
    caller: Caller,
    name_prefix: str,
    after: tuple[str, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Spaces the caller is not in, by folded name; invite-only ones are listed too."""
    mine = await store.memberships.find(
        {"user_id": caller.user_id, "state": MembershipState.ACTIVE.value},
        projection={"space_id": 1},
    )
    query: dict[str, Any] = {"_id": {"$nin": [m["space_id"] for m in mine]}}
    if name_prefix:
        query["name_folded"] = {"$regex": "^" + re.escape(fold(name_prefix))}
    if after is not None:
        query["$or"] = [
            {"name_folded": {"$gt": after[0]}},
            {"name_folded": after[0], "_id": {"$gt": after[1]}},
        ]
    return await store.spaces.find(query, sort=[("name_folded", 1), ("_id", 1)], limit=limit)


async def members(
    store: Store,
    caller: Caller,
    space_id: str,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Active members, earliest first; invite-only spaces show them to members only."""
    await space_or_not_found(store, space_id)
    if not await can_read_space(store, space_id, caller):
        raise PermissionDenied(f"only members see the members of space {space_id!r}")
    query: dict[str, Any] = {"space_id": space_id, "state": MembershipState.ACTIVE.value}
    if after is not None:
        query["$or"] = [
            {"joined_at": {"$gt": after[0]}},
            {"joined_at": after[0], "_id": {"$gt": after[1]}},
        ]
    return await store.memberships.find(query, sort=[("joined_at", 1), ("_id", 1)], limit=limit)


async def _require_owner(store: Store, space_id: str, caller: Caller) -> None:
    if caller.is_admin:
        return
    member = await membership(store, space_id, caller.user_id)
    if member is None or member["role"] != SpaceRole.OWNER.value:
        raise PermissionDenied("only owners of the space (or admins) may do this")


async def _activate(
    store: Store,
    space: dict[str, Any],
    user_id: str,
    role: SpaceRole,
    *,
    invited_by: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Make the membership active with its member.joined event in the same write."""
    space_id = space["_id"]
    event = outgoing(
        store,
        MemberJoinedV1(
            space_id=space_id,
            space_name=space["name"],
            member_id=user_id,
            role=role.value,
            invited_by=invited_by,
            joined_at=now,
        ),
        subject=space_id,
        actor_id=user_id,
    )
    key = store.key(space_id, user_id)
    fields = {
        "space_id": space_id,
        "user_id": user_id,
        "role": role.value,
        "state": MembershipState.ACTIVE.value,
        "invited_by": invited_by,
        "joined_at": now,
    }
    try:
        await store.memberships.insert_one({"_id": key, **fields, "outbox": [event.to_document()]})
        changed = True
    except DuplicateKeyError:
        # Invited or left before: the transition is conditional, so two concurrent
        # joins activate (and announce) the membership once.
        changed = await store.memberships.update_one(
            {"_id": key, "state": {"$ne": MembershipState.ACTIVE.value}},
            with_outbox({"$set": fields}, [event]),
        )
    if changed:
        store.events_written(store.memberships, key)
        await store.spaces.update_one({"_id": space_id}, {"$inc": {"member_count": 1}})
    member = await store.memberships.find_one({"_id": key})
    assert member is not None
    return member
