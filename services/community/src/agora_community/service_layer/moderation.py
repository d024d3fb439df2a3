"""Reports, the moderation queue, hiding and restoring content."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from agora_community.domain.model import MODERATED_KINDS, TargetKind, derived_id, now_ms
from agora_community.service_layer.common import (
    Caller,
    can_moderate,
    can_read_space,
    outgoing,
    resolve_target,
)
from agora_community.service_layer.ports import Documents, Store
from agora_contracts.events.domains.community import (
    ContentHiddenV1,
    ContentReportedV1,
    ContentRestoredV1,
)
from agora_core.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from agora_core.outbox import with_outbox


def _collection(store: Store, kind: TargetKind) -> Documents:
    if kind is TargetKind.COMMENT:
        return store.comments
    if kind is TargetKind.QUESTION:
        return store.questions
    if kind is TargetKind.ANSWER:
        return store.answers
    raise InvalidArgument.single("content.type", "only comments, questions and answers")


async def report(
    store: Store,
    caller: Caller,
    kind: TargetKind,
    content_id: str,
    reason: str,
    details: str,
) -> dict[str, Any]:
    """One report per person and content, with content.reported."""
    _collection(store, kind)
    target = await resolve_target(store, kind, content_id)
    if target.hidden or not await can_read_space(store, target.space_id, caller):
        raise NotFound(kind.value, content_id)
    now = now_ms()
    report_id = derived_id(store.tenant_id, kind.value, content_id, caller.user_id)
    document = {
        "_id": report_id,
        "content_type": kind.value,
        "content_id": content_id,
        "reporter_id": caller.user_id,
        "reason": reason,
        "details": details,
        "space_id": target.space_id,
        "status": "open",
        "create_time": now,
    }
    event = outgoing(
        store,
        ContentReportedV1(
            report_id=report_id,
            content_type=kind.value,
            content_id=content_id,
            reporter_id=caller.user_id,
            reason=reason,
            space_id=target.space_id,
            reported_at=now,
        ),
        subject=content_id,
        actor_id=caller.user_id,
    )
    try:
        await store.reports.insert_one({**document, "outbox": [event.to_document()]})
    except DuplicateKeyError:
        raise AlreadyExists(f"you already reported {kind.value} {content_id!r}") from None
    store.events_written(store.reports, report_id)
    return document


async def queue(
    store: Store,
    caller: Caller,
    space_id: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """Open reports of a space (its moderators) or of the tenant (admins), oldest first."""
    if space_id:
        if not await can_moderate(store, space_id, caller):
            raise PermissionDenied(f"only moderators of space {space_id!r} see its queue")
    elif not caller.is_admin:
        raise PermissionDenied("only admins see the tenant-wide moderation queue")
    query: dict[str, Any] = {"status": "open"}
    if space_id:
        query["space_id"] = space_id
    if after is not None:
        query["$or"] = [
            {"create_time": {"$gt": after[0]}},
            {"create_time": after[0], "_id": {"$gt": after[1]}},
        ]
    return await store.reports.find(
        query, sort=[("create_time", 1), ("_id", 1)], limit=limit, projection={"outbox": 0}
    )


async def set_hidden(
    store: Store,
    caller: Caller,
    kind: TargetKind,
    content_id: str,
    *,
    hidden: bool,
    reason: str = "",
) -> bool:
    """Hide or restore content (its space's moderators, or admins); True if it changed.

    The flag and content.hidden/restored are one write on the content's document;
    hiding also resolves the open reports about it.
    """
    if kind not in MODERATED_KINDS:
        raise InvalidArgument.single("content.type", "only comments, questions and answers")
    collection = _collection(store, kind)
    document = await collection.find_one({"_id": content_id})
    if document is None:
        raise NotFound(kind.value, content_id)
    if not await can_moderate(store, document.get("space_id"), caller):
        raise PermissionDenied("only moderators of the content's space (or admins) may do this")
    if document.get("deleted"):
        # A tombstone has nothing left to hide; restoring it would resurrect nothing.
        raise FailedPrecondition(f"{kind.value} {content_id!r} is deleted", "deleted")
    author = document.get("author_id") or document.get("asker_id")
    now = now_ms()
    payload: ContentHiddenV1 | ContentRestoredV1
    if hidden:
        payload = ContentHiddenV1(
            content_type=kind.value,
            content_id=content_id,
            author_id=author,
            moderator_id=caller.user_id,
            reason=reason,
            hidden_at=now,
        )
    else:
        payload = ContentRestoredV1(
            content_type=kind.value,
            content_id=content_id,
            moderator_id=caller.user_id,
            restored_at=now,
        )
    event = outgoing(store, payload, subject=content_id, actor_id=caller.user_id)
    changed = await collection.update_one(
        {"_id": content_id, "hidden": not hidden, "deleted": {"$ne": True}},
        with_outbox(
            {"$set": {"hidden": hidden, "moderated_by": caller.user_id, "moderated_at": now}},
            [event],
        ),
    )
    if changed:
        store.events_written(collection, content_id)
    if hidden:
        # A content has one report per reporter: few documents, each resolved by id.
        for open_report in await store.reports.find(
            {"content_type": kind.value, "content_id": content_id, "status": "open"},
            projection={"_id": 1},
        ):
            await store.reports.update_one(
                {"_id": open_report["_id"], "status": "open"},
                {"$set": {"status": "resolved", "resolved_by": caller.user_id, "resolved_at": now}},
            )
    return changed
