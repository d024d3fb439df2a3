"""Reports and the moderated content (comments, questions, answers)."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from agora_community.adapters.postgres.tenant_scoped import Row, TenantScoped
from agora_community.domain.model import ModeratedContent, Report, TargetKind

_REPORT: Final = (
    "report_id, content_type, content_id, reporter_id, reason, details, space_id, status,"
    " create_time"
)

# Per kind: the table, its id column, its author column and whether it has tombstones.
_CONTENT: Final = {
    TargetKind.COMMENT: ("comments", "comment_id", "author_id", "deleted"),
    TargetKind.QUESTION: ("questions", "question_id", "asker_id", "false"),
    TargetKind.ANSWER: ("answers", "answer_id", "author_id", "false"),
}


def _report(row: Row) -> Report:
    return Report(row[0], TargetKind(row[1]), *row[2:])


def open_queue_sql(*, space: bool, keyset: bool) -> str:
    """Open reports, oldest first (params: tenant, [space], [time, id], limit): index
    ``reports_open``, or ``reports_open_in_space``."""
    where = "tenant_id = %s AND status = 'open'"
    if space:
        where += " AND space_id = %s"
    if keyset:
        where += " AND (create_time, report_id) > (%s, %s)"
    return f"SELECT {_REPORT} FROM reports WHERE {where} ORDER BY create_time, report_id LIMIT %s"


class PostgresReportRepository(TenantScoped):
    async def add(self, report: Report) -> bool:
        row = await self._one(
            f"INSERT INTO reports (tenant_id, {_REPORT})"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING RETURNING 1",
            (
                self._tenant,
                report.report_id,
                report.kind.value,
                report.content_id,
                report.reporter_id,
                report.reason,
                report.details,
                report.space_id,
                report.status,
                report.create_time,
            ),
        )
        return row is not None

    async def open_queue(
        self, space_id: str | None, after: tuple[datetime, str] | None, limit: int
    ) -> list[Report]:
        params: list[object] = [self._tenant]
        if space_id:
            params.append(space_id)
        if after is not None:
            params.extend(after)
        sql = open_queue_sql(space=bool(space_id), keyset=after is not None)
        rows = await self._all(sql, [*params, limit])
        return [_report(row) for row in rows]

    async def resolve_open(self, kind: TargetKind, content_id: str, by: str, at: datetime) -> int:
        return await self._run(
            "UPDATE reports SET status = 'resolved', resolved_by = %s, resolved_at = %s"
            " WHERE tenant_id = %s AND content_type = %s AND content_id = %s AND status = 'open'",
            (by, at, self._tenant, kind.value, content_id),
        )


class PostgresContentRepository(TenantScoped):
    async def get(self, kind: TargetKind, content_id: str) -> ModeratedContent | None:
        table, key, author, deleted = _CONTENT[kind]
        row = await self._one(
            f"SELECT {author}, space_id, hidden, {deleted} FROM {table}"
            f" WHERE tenant_id = %s AND {key} = %s",
            (self._tenant, content_id),
        )
        if row is None:
            return None
        return ModeratedContent(kind, content_id, row[0], row[1], hidden=row[2], deleted=row[3])

    async def set_hidden(
        self, kind: TargetKind, content_id: str, hidden: bool, by: str, at: datetime
    ) -> bool:
        table, key, _, deleted = _CONTENT[kind]
        changed = await self._run(
            f"UPDATE {table} SET hidden = %s, moderated_by = %s, moderated_at = %s"
            f" WHERE tenant_id = %s AND {key} = %s AND hidden = %s AND NOT {deleted}",
            (hidden, by, at, self._tenant, content_id, not hidden),
        )
        return changed > 0
