"""Comment threads on any target: post, edit (history kept), delete (tombstone), list."""

from __future__ import annotations

from agora_community.domain.model import Comment, TargetKind, new_id, now_ms
from agora_community.domain.rules import mentioned_ids
from agora_community.service_layer.access import (
    resolve_target,
    space_access,
    target_for_engagement,
)
from agora_community.service_layer.outgoing import outgoing
from agora_community.service_layer.paging import after_time, time_cursor
from agora_community.service_layer.ports import UnitOfWork, UnitOfWorkFactory
from agora_community.service_layer.rate_limits import POST, RateLimits, spend
from agora_contracts.events.domains.community import (
    CommentDeletedV1,
    CommentPostedV1,
    MentionCreatedV1,
)
from agora_core.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from agora_core.identity import Principal
from agora_core.pagination import Page, keyset_page
from agora_core.text import plain_excerpt, sanitize_markdown


async def post_comment(
    uows: UnitOfWorkFactory,
    principal: Principal,
    limits: RateLimits,
    *,
    kind: TargetKind,
    target_id: str,
    parent_comment_id: str | None,
    body: str,
    max_mentions: int,
) -> Comment:
    """Store the sanitised comment with comment.posted and one mention.created per person."""
    clean = sanitize_markdown(body)
    if not clean.strip():
        raise InvalidArgument.single("body", "is empty once HTML is removed")
    mentions = mentioned_ids(clean, author_id=principal.subject)
    if len(mentions) > max_mentions:
        raise InvalidArgument.single("body", f"mentions at most {max_mentions} people")
    async with uows(principal.tenant_id) as uow:
        await spend(uow, limits, POST, principal.subject)
        target = await target_for_engagement(uow, kind, target_id, principal)
        if parent_comment_id:
            parent = await uow.comments.get(parent_comment_id)
            if parent is None or parent.hidden:
                raise NotFound("comment", parent_comment_id)
            if parent.kind is not kind or parent.target_id != target_id:
                raise InvalidArgument.single(
                    "parent_comment_id", "the parent comment belongs to another target"
                )
        now = now_ms()
        comment = Comment(
            comment_id=new_id(),
            kind=kind,
            target_id=target_id,
            parent_comment_id=parent_comment_id or None,
            space_id=target.space_id,
            author_id=principal.subject,
            body=clean,
            mentioned_user_ids=tuple(mentions),
            create_time=now,
            update_time=now,
        )
        await uow.comments.add(comment)
        excerpt = plain_excerpt(clean) or "…"
        posted = CommentPostedV1(
            comment_id=comment.comment_id,
            target_type=kind.value,
            target_id=target_id,
            author_id=principal.subject,
            target_owner_id=target.owner_id,
            parent_comment_id=comment.parent_comment_id,
            space_id=target.space_id,
            excerpt=excerpt,
            mentioned_user_ids=tuple(mentions),
            posted_at=now,
        )
        mentioned = [
            MentionCreatedV1(
                comment_id=comment.comment_id,
                target_type=kind.value,
                target_id=target_id,
                author_id=principal.subject,
                mentioned_user_id=person,
                excerpt=excerpt,
                mentioned_at=now,
            )
            for person in mentions
        ]
        uow.add_events(
            [
                outgoing(uow.tenant_id, payload, subject=target_id, actor_id=principal.subject)
                for payload in (posted, *mentioned)
            ]
        )
    return comment


async def edit_comment(
    uows: UnitOfWorkFactory, principal: Principal, comment_id: str, body: str
) -> Comment:
    """Replace the text (author only); the previous text becomes a revision."""
    clean = sanitize_markdown(body)
    if not clean.strip():
        raise InvalidArgument.single("body", "is empty once HTML is removed")
    async with uows(principal.tenant_id) as uow:
        comment = await _own_live_comment(uow, principal, comment_id)
        updated = await uow.comments.replace_body(
            comment_id, comment.body, clean, now_ms(), delete=False
        )
        if updated is None:
            raise FailedPrecondition("the comment changed meanwhile; read it again", "modified")
        return updated


async def delete_comment(uows: UnitOfWorkFactory, principal: Principal, comment_id: str) -> Comment:
    """Leave a tombstone: the comment keeps its place in the thread, without text."""
    async with uows(principal.tenant_id) as uow:
        comment = await _own_live_comment(uow, principal, comment_id)
        now = now_ms()
        updated = await uow.comments.replace_body(comment_id, comment.body, "", now, delete=True)
        if updated is None:
            raise FailedPrecondition(f"comment {comment_id!r} changed meanwhile", "modified")
        uow.add_events(
            [
                outgoing(
                    uow.tenant_id,
                    CommentDeletedV1(
                        comment_id=comment_id,
                        target_type=comment.kind.value,
                        target_id=comment.target_id,
                        author_id=principal.subject,
                        deleted_at=now,
                    ),
                    subject=comment.target_id,
                    actor_id=principal.subject,
                )
            ]
        )
        return updated


async def get_comment(
    uows: UnitOfWorkFactory, principal: Principal, comment_id: str
) -> tuple[Comment, bool]:
    """The comment and whether the caller may see its revisions (author or moderator)."""
    async with uows(principal.tenant_id) as uow:
        comment = await uow.comments.get(comment_id, with_revisions=True)
        if comment is None:
            raise NotFound("comment", comment_id)
        access = await space_access(uow, comment.space_id, principal)
        if not access.readable:
            raise NotFound("comment", comment_id)
        moderator = access.moderator
    if comment.hidden and not moderator:
        raise NotFound("comment", comment_id)
    return comment, moderator or comment.author_id == principal.subject


async def list_comments(
    uows: UnitOfWorkFactory,
    principal: Principal,
    kind: TargetKind,
    target_id: str,
    size: int,
    token: str,
) -> Page[Comment]:
    """A page of the thread, oldest first (keyset on (create_time, comment_id)).

    Hidden comments are left out unless the caller moderates the target's space.
    Pipelined: reads only, so the transaction's BEGIN rides with the target's read.
    """
    after = after_time(token)
    async with uows(principal.tenant_id, pipelined=True) as uow:
        target = await resolve_target(uow, kind, target_id)
        access = await space_access(uow, target.space_id, principal)
        if not access.readable:
            raise PermissionDenied(f"only members read the threads of space {target.space_id!r}")
        moderator = access.moderator
        if target.hidden and not moderator:
            raise NotFound(kind.value, target_id)
        found = await uow.comments.thread(
            kind, target_id, with_hidden=moderator, after=after, limit=size + 1
        )
    return keyset_page(found, size, lambda c: time_cursor(c.create_time, c.comment_id))


async def _own_live_comment(uow: UnitOfWork, principal: Principal, comment_id: str) -> Comment:
    comment = await uow.comments.get(comment_id)
    if comment is None or (comment.hidden and comment.author_id != principal.subject):
        raise NotFound("comment", comment_id)
    if comment.author_id != principal.subject:
        raise PermissionDenied("only the author may change a comment")
    if comment.deleted:
        raise FailedPrecondition(f"comment {comment_id!r} is deleted", "deleted")
    # Hidden content stays as the moderators saw it until they restore it.
    if comment.hidden:
        raise FailedPrecondition(f"comment {comment_id!r} is hidden by a moderator", "hidden")
    return comment
