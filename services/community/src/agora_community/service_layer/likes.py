"""Likes: one document per (tenant, target, person); state changes carry their event."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from agora_community.domain.model import TargetKind, derived_id, now_ms
from agora_community.service_layer.common import Caller, outgoing, target_for_engagement
from agora_community.service_layer.ports import Store
from agora_contracts.events.domains.community import LikeAddedV1, LikeRemovedV1
from agora_core.errors import FailedPrecondition
from agora_core.outbox import with_outbox


async def like(store: Store, caller: Caller, kind: TargetKind, target_id: str) -> bool:
    """Like the target; True when this call changed the state (so emitted like.added).

    The document id is the natural key, so any number of concurrent likes of one
    person on one target meet on one document; only the write that flips ``active``
    from absent/false to true appends the event. Liking one's own content is refused:
    it would credit oneself (gamification refuses such credit too, from
    ``target_owner_id``).
    """
    target = await target_for_engagement(store, kind, target_id, caller)
    if target.owner_id == caller.user_id:
        raise FailedPrecondition("you cannot like your own content", "own_content")
    key = store.key(kind.value, target_id, caller.user_id)
    like_id = derived_id(store.tenant_id, kind.value, target_id, caller.user_id)
    now = now_ms()
    event = outgoing(
        store,
        LikeAddedV1(
            like_id=like_id,
            target_type=kind.value,
            target_id=target_id,
            liker_id=caller.user_id,
            target_owner_id=target.owner_id,
            space_id=target.space_id,
            liked_at=now,
        ),
        subject=target_id,
        actor_id=caller.user_id,
    )
    fields: dict[str, Any] = {
        "target_type": kind.value,
        "target_id": target_id,
        "user_id": caller.user_id,
        "owner_id": target.owner_id,
        "space_id": target.space_id,
        "like_id": like_id,
        "active": True,
        "changed_at": now,
    }
    try:
        await store.likes.insert_one({"_id": key, **fields, "outbox": [event.to_document()]})
        changed = True
    except DuplicateKeyError:
        changed = await store.likes.update_one(
            {"_id": key, "active": False}, with_outbox({"$set": fields}, [event])
        )
    if changed:
        store.events_written(store.likes, key)
    return changed


async def unlike(store: Store, caller: Caller, kind: TargetKind, target_id: str) -> bool:
    """Withdraw the like; True when there was one (so emitted like.removed)."""
    key = store.key(kind.value, target_id, caller.user_id)
    current = await store.likes.find_one({"_id": key})
    if current is None or not current["active"]:
        return False
    now = now_ms()
    event = outgoing(
        store,
        LikeRemovedV1(
            like_id=current["like_id"],
            target_type=kind.value,
            target_id=target_id,
            liker_id=caller.user_id,
            target_owner_id=current.get("owner_id"),
            removed_at=now,
        ),
        subject=target_id,
        actor_id=caller.user_id,
    )
    changed = await store.likes.update_one(
        {"_id": key, "active": True},
        with_outbox({"$set": {"active": False, "changed_at": now}}, [event]),
    )
    if changed:
        store.events_written(store.likes, key)
    return changed


async def liked_by(
    store: Store, user_id: str, targets: list[tuple[TargetKind, str]]
) -> set[tuple[str, str]]:
    """Which of ``targets`` the person currently likes."""
    keys = [store.key(kind.value, target_id, user_id) for kind, target_id in targets]
    found = await store.likes.find({"_id": {"$in": keys}, "active": True})
    return {(doc["target_type"], doc["target_id"]) for doc in found}
