"""Comment threads on any target: post, edit (history kept), delete (tombstone), list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agora_community.domain.model import TargetKind, new_id, now_ms
from agora_community.domain.rules import mentioned_ids
from agora_community.service_layer.common import (
    Caller,
    can_moderate,
    can_read_space,
    outgoing,
    resolve_target,
    target_for_engagement,
)
from agora_community.service_layer.ports import Store
from agora_contracts.events.domains.community import (
    CommentDeletedV1,
    CommentPostedV1,
    MentionCreatedV1,
)
from agora_core.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from agora_core.outbox import with_outbox
from agora_core.text import plain_excerpt, sanitize_markdown


async def post_comment(
    store: Store,
    caller: Caller,
    *,
    kind: TargetKind,
    target_id: str,
    parent_comment_id: str | None,
    body: str,
    max_mentions: int,
) -> dict[str, Any]:
    """Store the sanitised comment with comment.posted and one mention.created per person."""
    target = await target_for_engagement(store, kind, target_id, caller)
    if parent_comment_id:
        parent = await store.comments.find_one({"_id": parent_comment_id})
        if parent is None or parent.get("hidden"):
            raise NotFound("comment", parent_comment_id)
        if parent["target_type"] != kind.value or parent["target_id"] != target_id:
            raise InvalidArgument.single(
                "parent_comment_id", "the parent comment belongs to another target"
            )
    clean = sanitize_markdown(body)
    if not clean.strip():
        raise InvalidArgument.single("body", "is empty once HTML is removed")
    mentions = mentioned_ids(clean, author_id=caller.user_id)
    if len(mentions) > max_mentions:
        raise InvalidArgument.single("body", f"mentions at most {max_mentions} people")
    now = now_ms()
    comment_id = new_id()
    excerpt = plain_excerpt(clean) or "…"
    events = [
        outgoing(
            store,
            CommentPostedV1(
                comment_id=comment_id,
                target_type=kind.value,
                target_id=target_id,
                author_id=caller.user_id,
                target_owner_id=target.owner_id,
                parent_comment_id=parent_comment_id or None,
                space_id=target.space_id,
                excerpt=excerpt,
                mentioned_user_ids=tuple(mentions),
                posted_at=now,
            ),
            subject=target_id,
            actor_id=caller.user_id,
        )
    ]
    events.extend(
        outgoing(
            store,
            MentionCreatedV1(
                comment_id=comment_id,
                target_type=kind.value,
                target_id=target_id,
                author_id=caller.user_id,
                mentioned_user_id=person,
                excerpt=excerpt,
                mentioned_at=now,
            ),
            subject=target_id,
            actor_id=caller.user_id,
        )
        for person in mentions
    )
    comment = comment_document(
        comment_id,
        kind=kind,
        target_id=target_id,
        parent_comment_id=parent_comment_id,
        space_id=target.space_id,
        author_id=caller.user_id,
        body=clean,
        mentions=mentions,
        at=now,
    )
    await store.comments.insert_one({**comment, "outbox": [e.to_document() for e in events]})
    store.events_written(store.comments, comment["_id"])
    return comment


def comment_document(
    comment_id: str,
    *,
    kind: TargetKind,
    target_id: str,
    parent_comment_id: str | None,
    space_id: str | None,
    author_id: str,
    body: str,
    mentions: list[str],
    at: datetime,
) -> dict[str, Any]:
    """A stored comment (``body`` already sanitised); the shape threads are read from."""
    return {
        "_id": comment_id,
        "target_type": kind.value,
        "target_id": target_id,
        "parent_comment_id": parent_comment_id or None,
        "space_id": space_id,
        "author_id": author_id,
        "body": body,
        "mentioned_user_ids": mentions,
        "create_time": at,
        "update_time": at,
        "deleted": False,
        "hidden": False,
        "revisions": [],
    }


async def edit_comment(store: Store, caller: Caller, comment_id: str, body: str) -> dict[str, Any]:
    """Replace the text (author only); the previous text goes to ``revisions``."""
    comment = await _own_live_comment(store, caller, comment_id)
    clean = sanitize_markdown(body)
    if not clean.strip():
        raise InvalidArgument.single("body", "is empty once HTML is removed")
    now = now_ms()
    # Conditional on the text read, so two concurrent edits cannot lose a revision.
    updated = await store.comments.find_one_and_update(
        {"_id": comment_id, "body": comment["body"], "deleted": False, "hidden": False},
        {
            "$set": {"body": clean, "update_time": now},
            "$push": {"revisions": {"body": comment["body"], "replaced_time": now}},
        },
    )
    if updated is None:
        raise FailedPrecondition("the comment changed meanwhile; read it again", "modified")
    return updated


async def delete_comment(store: Store, caller: Caller, comment_id: str) -> dict[str, Any]:
    """Leave a tombstone: the comment keeps its place in the thread, without text."""
    comment = await _own_live_comment(store, caller, comment_id)
    now = now_ms()
    event = outgoing(
        store,
        CommentDeletedV1(
            comment_id=comment_id,
            target_type=comment["target_type"],
            target_id=comment["target_id"],
            author_id=caller.user_id,
            deleted_at=now,
        ),
        subject=comment["target_id"],
        actor_id=caller.user_id,
    )
    updated = await store.comments.find_one_and_update(
        {"_id": comment_id, "deleted": False, "hidden": False},
        with_outbox(
            {
                "$set": {
                    "deleted": True,
                    "body": "",
                    "mentioned_user_ids": [],
                    "update_time": now,
                },
                "$push": {"revisions": {"body": comment["body"], "replaced_time": now}},
            },
            [event],
        ),
    )
    if updated is None:
        raise FailedPrecondition(f"comment {comment_id!r} changed meanwhile", "modified")
    store.events_written(store.comments, comment_id)
    return updated


async def get_comment(store: Store, caller: Caller, comment_id: str) -> tuple[dict[str, Any], bool]:
    """The comment and whether the caller may see its revisions (author or moderator)."""
    comment = await store.comments.find_one({"_id": comment_id})
    if comment is None or not await can_read_space(store, comment.get("space_id"), caller):
        raise NotFound("comment", comment_id)
    moderator = await can_moderate(store, comment.get("space_id"), caller)
    if comment.get("hidden") and not moderator:
        raise NotFound("comment", comment_id)
    return comment, moderator or comment["author_id"] == caller.user_id


async def list_comments(
    store: Store,
    caller: Caller,
    kind: TargetKind,
    target_id: str,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """A page of the thread, oldest first (index ``comments_thread``, keyset cursor).

    Hidden comments are left out unless the caller moderates the target's space.
    """
    target = await resolve_target(store, kind, target_id)
    if not await can_read_space(store, target.space_id, caller):
        raise PermissionDenied(f"only members read the threads of space {target.space_id!r}")
    moderator = await can_moderate(store, target.space_id, caller)
    if target.hidden and not moderator:
        raise NotFound(kind.value, target_id)
    query: dict[str, Any] = {"target_type": kind.value, "target_id": target_id}
    if not moderator:
        query["hidden"] = False
    if after is not None:
        query["$or"] = [
            {"create_time": {"$gt": after[0]}},
            {"create_time": after[0], "_id": {"$gt": after[1]}},
        ]
    return await store.comments.find(
        query,
        sort=[("create_time", 1), ("_id", 1)],
        limit=limit,
        projection={"outbox": 0, "revisions": 0},
    )


async def _own_live_comment(store: Store, caller: Caller, comment_id: str) -> dict[str, Any]:
    comment = await store.comments.find_one({"_id": comment_id})
    if comment is None or (comment.get("hidden") and comment["author_id"] != caller.user_id):
        raise NotFound("comment", comment_id)
    if comment["author_id"] != caller.user_id:
        raise PermissionDenied("only the author may change a comment")
    if comment.get("deleted"):
        raise FailedPrecondition(f"comment {comment_id!r} is deleted", "deleted")
    # Hidden content stays as the moderators saw it until they restore it.
    if comment.get("hidden"):
        raise FailedPrecondition(f"comment {comment_id!r} is hidden by a moderator", "hidden")
    return comment
