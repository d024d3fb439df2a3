"""What every use case shares: the caller, events, targets, memberships, rate limits."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

from pymongo.errors import DuplicateKeyError

from agora_community.domain.model import (
    MODERATING_ROLES,
    MembershipState,
    SpaceRole,
    TargetInfo,
    TargetKind,
    now_ms,
)
from agora_community.service_layer.ports import Store
from agora_contracts.events import EventPayload
from agora_core.errors import FailedPrecondition, NotFound, PermissionDenied, ResourceExhausted
from agora_core.messaging.events import OutgoingEvent

SOURCE: Final = "/agora/community"


@dataclass(frozen=True)
class Caller:
    """Who acts: the person and whether the platform made them a tenant admin."""

    user_id: str
    is_admin: bool = False


def outgoing(
    store: Store, payload: EventPayload, *, subject: str, actor_id: str | None
) -> OutgoingEvent:
    """An event of this service for the store's tenant."""
    return OutgoingEvent.create(
        payload, source=SOURCE, subject=subject, tenant_id=store.tenant_id, actor_id=actor_id
    )


async def membership(store: Store, space_id: str, user_id: str) -> dict[str, Any] | None:
    """The person's active membership of the space, or None."""
    member = await store.memberships.find_one({"_id": store.key(space_id, user_id)})
    if member is None or member["state"] != MembershipState.ACTIVE.value:
        return None
    return member


async def space_or_not_found(store: Store, space_id: str) -> dict[str, Any]:
    space = await store.spaces.find_one({"_id": space_id}) if space_id else None
    if space is None:
        raise NotFound("space", space_id)
    return space


async def require_member(store: Store, space_id: str, caller: Caller) -> dict[str, Any]:
    """The caller's membership; PermissionDenied when they are not an active member."""
    member = await membership(store, space_id, caller.user_id)
    if member is None:
        raise PermissionDenied(f"you are not a member of space {space_id!r}")
    return member


async def can_moderate(store: Store, space_id: str | None, caller: Caller) -> bool:
    """Tenant admins moderate everything; owners and moderators moderate their space."""
    if caller.is_admin:
        return True
    if not space_id:
        return False
    member = await membership(store, space_id, caller.user_id)
    return member is not None and SpaceRole(member["role"]) in MODERATING_ROLES


async def can_read_space(store: Store, space_id: str | None, caller: Caller) -> bool:
    """Open spaces are readable by the tenant; invite-only ones by their members."""
    if not space_id or caller.is_admin:
        return True
    space = await store.spaces.find_one({"_id": space_id})
    if space is None:
        return False
    if space["visibility"] == "open":
        return True
    return await membership(store, space_id, caller.user_id) is not None


async def resolve_target(store: Store, kind: TargetKind, target_id: str) -> TargetInfo:
    """The target for this tenant; NotFound when it does not exist here."""
    if kind in (TargetKind.KNOWLEDGE, TargetKind.PATH):
        known = await store.targets.find_one({"_id": store.key(kind.value, target_id)})
        if known is None:
            raise NotFound(kind.value, target_id)
        return TargetInfo(
            kind,
            target_id,
            known.get("owner_id"),
            known.get("space_id"),
            closed_state="archived" if known.get("archived") else None,
        )
    if kind is TargetKind.COMMENT:
        comment = await store.comments.find_one({"_id": target_id})
        if comment is None:
            raise NotFound(kind.value, target_id)
        return TargetInfo(
            kind,
            target_id,
            comment["author_id"],
            comment.get("space_id"),
            hidden=bool(comment.get("hidden")),
            closed_state="deleted" if comment.get("deleted") else None,
        )
    if kind is TargetKind.QUESTION:
        question = await store.questions.find_one({"_id": target_id})
        if question is None:
            raise NotFound(kind.value, target_id)
        return TargetInfo(
            kind,
            target_id,
            question["asker_id"],
            question.get("space_id"),
            hidden=bool(question.get("hidden")),
        )
    if kind is TargetKind.ANSWER:
        answer = await store.answers.find_one({"_id": target_id})
        if answer is None:
            raise NotFound(kind.value, target_id)
        return TargetInfo(
            kind,
            target_id,
            answer["author_id"],
            answer.get("space_id"),
            hidden=bool(answer.get("hidden")),
        )
    space = await store.spaces.find_one({"_id": target_id})
    if space is None:
        raise NotFound(kind.value, target_id)
    return TargetInfo(kind, target_id, space["created_by"], target_id)


async def target_for_engagement(
    store: Store, kind: TargetKind, target_id: str, caller: Caller
) -> TargetInfo:
    """A target the caller may comment on or like right now.

    Hidden content is NOT_FOUND for people who cannot moderate it; archived or deleted
    targets refuse new engagement; a target in a space needs the caller's membership.
    """
    target = await resolve_target(store, kind, target_id)
    if target.hidden and not await can_moderate(store, target.space_id, caller):
        raise NotFound(kind.value, target_id)
    if target.closed_state is not None:
        raise FailedPrecondition(
            f"{kind.value} {target_id!r} is {target.closed_state}", target.closed_state
        )
    if target.space_id:
        await require_member(store, target.space_id, caller)
    return target


class RateLimiter:
    """Per person and action fixed windows: one ``$inc`` on the window's document.

    Window documents carry ``expires_at`` so an operator may add a TTL index on a real
    MongoDB (FerretDB 1.x refuses TTL indexes, so none is declared in code).
    """

    def __init__(self, limits: dict[str, int], window_seconds: int) -> None:
        self._limits = dict(limits)
        self._window = window_seconds

    async def spend(self, store: Store, action: str, user_id: str) -> None:
        """Count one ``action`` of ``user_id``; ResourceExhausted past the limit."""
        limit = self._limits[action]
        now = now_ms()
        start = int(now.timestamp()) // self._window * self._window
        key = store.key("rate", action, user_id, str(start))
        # The first call of a window opens it; the others find it open.
        with contextlib.suppress(DuplicateKeyError):
            await store.rate_windows.insert_one(
                {"_id": key, "count": 0, "expires_at": now + timedelta(seconds=self._window)}
            )
        window = await store.rate_windows.find_one_and_update({"_id": key}, {"$inc": {"count": 1}})
        if window is not None and window["count"] > limit:
            retry_after = start + self._window - now.timestamp()
            raise ResourceExhausted(
                f"rate limit of {limit} {action} per {self._window}s reached",
                retry_after_seconds=max(retry_after, 0.0),
            )
