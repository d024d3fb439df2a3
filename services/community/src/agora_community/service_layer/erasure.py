"""Right to erasure in community: the admin request, and what is erased.

The request (``ErasePerson``) writes one erasure record with ``person.erased`` in its
outbox. The record's id is a name-based UUID of (tenant, person), so a second request
meets the first record: it answers that record and publishes the event again (same
erasure id), which sweeps up anything written since (erasure is idempotent). The
record keeps a digest of the person, never the id. Every service, this one included,
erases when the event arrives.

What community keeps and what it deletes (docs/privacy.md has the reasons):
comments, questions, answers, spaces and reports stay, with the person replaced by
the ``[deleted user]`` placeholder wherever they appear (author, mentions in text and
lists, votes, moderation fields); likes, memberships, expert-directory entries,
participation markers and rate windows are deleted. Popularity counters keep the
erased person's past likes and comments anonymously, so every service's counts stay
equal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from pymongo.errors import DuplicateKeyError

from agora_community.adapters import collections as names
from agora_community.domain.model import MembershipState, derived_id, now_ms
from agora_community.service_layer.common import SOURCE
from agora_community.service_layer.ports import Documents, Store
from agora_contracts.events.domains.privacy import ErasureReason, PersonErasedV1
from agora_core.errors import FailedPrecondition
from agora_core.messaging.events import OutgoingEvent
from agora_core.outbox import with_outbox
from agora_core.privacy import Anonymise, Delete, DeleteKeyed, ErasurePlan, person_digest

ERASURES: Final = "erasures"
"""Erasure records (``_id`` = erasure id; read by ``_id`` only)."""

_MODERATION = ("moderated_by",)

ERASURE_PLAN: Final = ErasurePlan(
    steps=(
        Delete(names.MEMBERSHIPS, ("user_id",), "a membership is about the person only"),
        Anonymise(names.MEMBERSHIPS, ("invited_by",), "others' invitations stay valid"),
        Delete(names.LIKES, ("user_id",), "a like is the person's act; counts stay"),
        Anonymise(names.LIKES, ("owner_id",), "others' likes of the person's content"),
        Delete(names.EXPERTS, ("user_id",), "the directory entry describes the person"),
        DeleteKeyed(names.PARTICIPANTS, "first engagement marker keyed by the person"),
        DeleteKeyed(names.RATE_WINDOWS, "rate-limit windows keyed by the person"),
        Anonymise(
            names.COMMENTS,
            ("author_id", "mentioned_user_ids", *_MODERATION),
            "threads stay readable; replies keep their place",
        ),
        Anonymise(
            names.QUESTIONS,
            ("asker_id", "proposed_expert_ids", *_MODERATION),
            "questions and their answers stay useful to others",
            text_fields=("title", "body"),
        ),
        Anonymise(
            names.ANSWERS,
            ("author_id", "voters", *_MODERATION),
            "answers stay useful",
            text_fields=("body",),
        ),
        Anonymise(names.SPACES, ("created_by",), "spaces belong to their members"),
        Anonymise(names.TARGETS, ("owner_id",), "content the person authored stays"),
        Anonymise(
            names.REPORTS, ("reporter_id", "resolved_by"), "moderation history stays, anonymous"
        ),
        Anonymise(ERASURES, ("requested_by",), "an erased admin's past requests stay"),
    ),
    not_personal={
        names.POPULARITY: "counters and event ids per target, no person",
    },
)


@dataclass(frozen=True)
class ErasureRecord:
    """What ``ErasePerson`` answers."""

    erasure_id: str
    person_id: str
    requested_by: str
    reason: ErasureReason
    requested_at: datetime
    created: bool


def erasure_id_of(tenant_id: str, person_id: str) -> str:
    """The erasure id of a person: the same for every request about them."""
    return derived_id(tenant_id, "erasure", person_id).replace("-", "")


async def request_erasure(
    erasures: Documents,
    tenant_id: str,
    *,
    admin_id: str,
    person_id: str,
    reason: ErasureReason,
    notify: Callable[[], None],
) -> ErasureRecord:
    """Record the erasure with its event (one write); the existing record if repeated."""
    if person_id == admin_id:
        raise FailedPrecondition("an admin cannot erase themselves", "self_erasure")
    erasure_id = erasure_id_of(tenant_id, person_id)
    now = now_ms()
    event = OutgoingEvent.create(
        PersonErasedV1(
            erasure_id=erasure_id,
            person_id=person_id,
            requested_by=admin_id,
            reason=reason,
            requested_at=now,
        ),
        source=SOURCE,
        subject=person_id,
        tenant_id=tenant_id,
        actor_id=admin_id,
    )
    document = {
        "_id": erasure_id,
        # A digest, not the id: the record must not keep what it erases.
        "person_digest": person_digest(tenant_id, person_id),
        "requested_by": admin_id,
        "reason": reason,
        "requested_at": now,
    }
    try:
        await erasures.insert_one({**document, "outbox": [event.to_document()]})
    except DuplicateKeyError:
        # The same record answers; the event goes out again in the same write that
        # notes the repeat, so whatever was written since the first one is swept too.
        existing = await erasures.find_one_and_update(
            {"_id": erasure_id},
            with_outbox({"$set": {"repeated_at": now}, "$inc": {"repeats": 1}}, [event]),
        )
        if existing is None:  # pragma: no cover - a record is never deleted
            raise
        notify()
        return ErasureRecord(
            erasure_id,
            person_id,
            existing["requested_by"],
            existing["reason"],
            existing["requested_at"],
            created=False,
        )
    notify()
    return ErasureRecord(erasure_id, person_id, admin_id, reason, now, created=True)


async def leave_spaces(store: Store, person_id: str) -> int:
    """Remove the person's active memberships and keep the spaces' member counts right.

    Each membership is deleted by a conditional write and only the write that deleted
    it decrements the count, so a redelivery never decrements twice. (A crash between
    the two writes leaves the count one too high, the window the README names for
    every denormalised counter.)
    """
    removed = 0
    for member in await store.memberships.find(
        {"user_id": person_id, "state": MembershipState.ACTIVE.value}
    ):
        if await _delete_active(store, member["_id"]):
            await store.spaces.update_one(
                {"_id": member["space_id"]}, {"$inc": {"member_count": -1}}
            )
            removed += 1
    return removed


async def _delete_active(store: Store, membership_id: str) -> bool:
    before = await store.memberships.find_one_and_update(
        {"_id": membership_id, "state": MembershipState.ACTIVE.value},
        {"$set": {"state": "erased"}},
        return_after=False,
    )
    return before is not None
