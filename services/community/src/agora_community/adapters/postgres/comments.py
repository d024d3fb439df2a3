"""Comment threads, their edit history, and the catalog targets they hang on."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Final

from agora_community.adapters.postgres.tenant_scoped import Row, TenantScoped
from agora_community.domain.model import CatalogTarget, Comment, CommentRevision, TargetKind

_COMMENT: Final = (
    "comment_id, target_type, target_id, parent_comment_id, space_id, author_id, body,"
    " mentioned_user_ids, create_time, update_time, deleted, hidden, revision_count"
)


def _comment(row: Row) -> Comment:
    return Comment(
        comment_id=row[0],
        kind=TargetKind(row[1]),
        target_id=row[2],
        parent_comment_id=row[3],
        space_id=row[4],
        author_id=row[5],
        body=row[6],
        mentioned_user_ids=tuple(row[7]),
        create_time=row[8],
        update_time=row[9],
        deleted=row[10],
        hidden=row[11],
        revision_count=row[12],
    )


def thread_sql(with_hidden: bool, keyset: bool) -> str:
    """A page of a thread, oldest first: index ``comments_thread_visible`` for readers,
    ``comments_thread`` for moderators (params: tenant, type, target, [time, id], limit)."""
    visible = "" if with_hidden else " AND NOT hidden"
    after = " AND (create_time, comment_id) > (%s, %s)" if keyset else ""
    return (
        f"SELECT {_COMMENT} FROM comments"
        f" WHERE tenant_id = %s AND target_type = %s AND target_id = %s{visible}{after}"
        " ORDER BY create_time, comment_id LIMIT %s"
    )


class PostgresCommentRepository(TenantScoped):
    async def add(self, comment: Comment) -> None:
        await self._run(
            "INSERT INTO comments (tenant_id, comment_id, target_type, target_id,"
            " parent_comment_id, space_id, author_id, body, mentioned_user_ids, create_time,"
            " update_time) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                self._tenant,
                comment.comment_id,
                comment.kind.value,
                comment.target_id,
                comment.parent_comment_id,
                comment.space_id,
                comment.author_id,
                comment.body,
                list(comment.mentioned_user_ids),
                comment.create_time,
                comment.update_time,
            ),
        )

    async def get(self, comment_id: str, *, with_revisions: bool = False) -> Comment | None:
        row = await self._one(
            f"SELECT {_COMMENT} FROM comments WHERE tenant_id = %s AND comment_id = %s",
            (self._tenant, comment_id),
        )
        if row is None:
            return None
        comment = _comment(row)
        if with_revisions and comment.revision_count:
            comment = replace(comment, revisions=await self._revisions(comment_id))
        return comment

    async def _revisions(self, comment_id: str) -> tuple[CommentRevision, ...]:
        rows = await self._all(
            "SELECT body, replaced_time FROM comment_revisions"
            " WHERE tenant_id = %s AND comment_id = %s ORDER BY revision",
            (self._tenant, comment_id),
        )
        return tuple(CommentRevision(body, replaced) for body, replaced in rows)

    async def replace_body(
        self, comment_id: str, expected_body: str, body: str, at: datetime, *, delete: bool
    ) -> Comment | None:
        # Conditional on the text read, so two concurrent edits cannot lose a revision.
        row = await self._one(
            "UPDATE comments SET body = %s, update_time = %s, deleted = %s,"
            " mentioned_user_ids = CASE WHEN %s THEN '{}'::text[] ELSE mentioned_user_ids END,"
            " revision_count = revision_count + 1"
            " WHERE tenant_id = %s AND comment_id = %s AND body = %s"
            " AND NOT deleted AND NOT hidden"
            f" RETURNING {_COMMENT}",
            (body, at, delete, delete, self._tenant, comment_id, expected_body),
        )
        if row is None:
            return None
        comment = _comment(row)
        await self._run(
            "INSERT INTO comment_revisions (tenant_id, comment_id, revision, body, replaced_time)"
            " VALUES (%s, %s, %s, %s, %s)",
            (self._tenant, comment_id, comment.revision_count, expected_body, at),
        )
        return replace(comment, revisions=await self._revisions(comment_id))

    async def thread(
        self,
        kind: TargetKind,
        target_id: str,
        *,
        with_hidden: bool,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Comment]:
        params: tuple[object, ...] = (self._tenant, kind.value, target_id)
        if after is not None:
            params += after
        rows = await self._all(thread_sql(with_hidden, after is not None), (*params, limit))
        return [_comment(row) for row in rows]


class PostgresTargetRepository(TenantScoped):
    async def get(self, kind: TargetKind, target_id: str) -> CatalogTarget | None:
        row = await self._one(
            "SELECT owner_id, space_id, title, skill_ids, archived, published_at FROM targets"
            " WHERE tenant_id = %s AND target_type = %s AND target_id = %s",
            (self._tenant, kind.value, target_id),
        )
        if row is None:
            return None
        owner, space, title, skills, archived, published = row
        return CatalogTarget(
            kind, target_id, owner, space, title, tuple(skills), archived, published
        )

    async def put(self, target: CatalogTarget) -> None:
        await self._run(
            "INSERT INTO targets (tenant_id, target_type, target_id, owner_id, space_id, title,"
            " skill_ids, archived, published_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (tenant_id, target_type, target_id) DO UPDATE SET"
            " owner_id = EXCLUDED.owner_id, space_id = EXCLUDED.space_id,"
            " title = EXCLUDED.title, skill_ids = EXCLUDED.skill_ids,"
            " archived = EXCLUDED.archived, published_at = EXCLUDED.published_at",
            (
                self._tenant,
                target.kind.value,
                target.target_id,
                target.owner_id,
                target.space_id,
                target.title,
                list(target.skill_ids),
                target.archived,
                target.published_at,
            ),
        )

    async def archive(self, kind: TargetKind, target_id: str) -> None:
        await self._run(
            "INSERT INTO targets (tenant_id, target_type, target_id, archived)"
            " VALUES (%s, %s, %s, true) ON CONFLICT (tenant_id, target_type, target_id)"
            " DO UPDATE SET archived = true",
            (self._tenant, kind.value, target_id),
        )
