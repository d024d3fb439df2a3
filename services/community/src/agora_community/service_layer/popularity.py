"""Popularity indicators per target, maintained incrementally from our own events.

Each like/comment/moderation event changes one popularity document by a read and a
version-conditional write that sets the new indicators, records the event id (a
window of the most recent ids, enough for redeliveries) and appends
popularity.changed in the same write. Indicators are never recomputed by scanning.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from pymongo.errors import DuplicateKeyError

from agora_community.domain.model import TargetKind, now_ms
from agora_community.domain.rules import PopularityState, apply_engagement, decayed
from agora_community.service_layer.common import outgoing
from agora_community.service_layer.ports import Store
from agora_contracts.events.domains.community import PopularityChangedV1
from agora_core.outbox import with_outbox

APPLIED_WINDOW: Final = 500
"""Event ids remembered per target; redeliveries arrive long before 500 newer events."""
_MAX_CONFLICTS: Final = 20


class ConcurrentUpdate(Exception):
    """The popularity document kept changing under us; the consumer retries the event."""


async def new_participant(
    store: Store, kind: str, target_id: str, person: str, event_id: str
) -> bool:
    """Whether ``event_id`` made ``person`` a participant of the target (first engagement).

    The participation document remembers the event that created it, so a redelivery
    of that event still answers True and counts the participant exactly once.
    """
    key = store.key(kind, target_id, person)
    try:
        await store.participants.insert_one({"_id": key, "first_event_id": event_id})
    except DuplicateKeyError:
        existing = await store.participants.find_one({"_id": key})
        return existing is not None and existing.get("first_event_id") == event_id
    return True


async def apply_event(
    store: Store,
    *,
    event_id: str,
    kind: str,
    target_id: str,
    at: datetime,
    half_life_hours: float,
    likes: int = 0,
    comments: int = 0,
    participant: str | None = None,
    weight: float = 0.0,
) -> bool:
    """Apply one engagement to the target's indicators once; True if it changed them."""
    joined = (
        await new_participant(store, kind, target_id, participant, event_id)
        if participant
        else False
    )
    key = store.key(kind, target_id)
    for _ in range(_MAX_CONFLICTS):
        document = await store.popularity.find_one({"_id": key})
        if document is not None and event_id in document.get("applied", []):
            return False
        state = _state(document)
        updated = apply_engagement(
            state,
            likes=likes,
            comments=comments,
            new_participant=joined,
            weight=weight,
            at=at,
            half_life_hours=half_life_hours,
        )
        event = outgoing(
            store,
            PopularityChangedV1(
                target_type=kind,
                target_id=target_id,
                likes=updated.likes,
                comments=updated.comments,
                participants=updated.participants,
                trending_score=updated.trending_score,
                as_of=updated.trending_at or at,
            ),
            subject=target_id,
            actor_id=None,
        )
        applied = [*(document or {}).get("applied", [])[-(APPLIED_WINDOW - 1) :], event_id]
        fields: dict[str, Any] = {
            "target_type": kind,
            "target_id": target_id,
            "likes": updated.likes,
            "comments": updated.comments,
            "participants": updated.participants,
            "trending_score": updated.trending_score,
            "trending_at": updated.trending_at,
            "applied": applied,
        }
        if document is None:
            try:
                await store.popularity.insert_one(
                    {"_id": key, **fields, "version": 1, "outbox": [event.to_document()]}
                )
            except DuplicateKeyError:
                continue
        else:
            written = await store.popularity.update_one(
                {"_id": key, "version": document["version"]},
                with_outbox({"$set": fields, "$inc": {"version": 1}}, [event]),
            )
            if not written:
                continue
        store.events_written(store.popularity, key)
        return True
    raise ConcurrentUpdate(f"popularity of {kind} {target_id} kept changing")


async def popularity_of(
    store: Store, targets: list[tuple[TargetKind, str]], half_life_hours: float
) -> dict[tuple[str, str], dict[str, Any]]:
    """Indicators of each target (absent ones are all zero), trending decayed to now."""
    keys = [store.key(kind.value, target_id) for kind, target_id in targets]
    found = await store.popularity.find({"_id": {"$in": keys}}, projection={"outbox": 0})
    now = now_ms()
    result = {}
    for document in found:
        result[(document["target_type"], document["target_id"])] = _public(
            document, now, half_life_hours
        )
    return result


async def trending(
    store: Store, kind: TargetKind | None, limit: int, half_life_hours: float
) -> list[dict[str, Any]]:
    """Targets with the highest trending score now.

    Scores are stored at their last engagement time, so the stored order is not
    exactly today's: a generous candidate set is read by the ``trending`` index and
    re-ranked after decaying each score to now.
    """
    query: dict[str, Any] = {"trending_score": {"$gt": 0}}
    if kind is not None:
        query["target_type"] = kind.value
    candidates = await store.popularity.find(
        query, sort=[("trending_score", -1)], limit=limit * 5, projection={"outbox": 0}
    )
    now = now_ms()
    ranked = sorted(
        (_public(document, now, half_life_hours) for document in candidates),
        key=lambda item: (-item["trending_score"], item["target_id"]),
    )
    return ranked[:limit]


def _state(document: dict[str, Any] | None) -> PopularityState:
    if document is None:
        return PopularityState()
    return PopularityState(
        likes=document["likes"],
        comments=document["comments"],
        participants=document["participants"],
        trending_score=document["trending_score"],
        trending_at=document.get("trending_at"),
    )


def _public(document: dict[str, Any], now: datetime, half_life_hours: float) -> dict[str, Any]:
    at = document.get("trending_at") or now
    return {
        "target_type": document["target_type"],
        "target_id": document["target_id"],
        "likes": document["likes"],
        "comments": document["comments"],
        "participants": document["participants"],
        "trending_score": decayed(document["trending_score"], at, max(at, now), half_life_hours),
        "as_of": now,
    }
