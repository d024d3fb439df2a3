"""Assignments on PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from psycopg import AsyncConnection

from agora_catalog.adapters.postgres.rows import Row, execute, fetch_all, fetch_one
from agora_catalog.domain.model import Assignment

_COLUMNS: Final = (
    "assignment_id, learner_id, assigned_by, target_kind, target_id, target_title, due_at, "
    "compliance, assigned_at"
)


def _assignment(row: Row) -> Assignment:
    return Assignment(**{k: row[k] for k in _COLUMNS.split(", ")})


def assignments_page(
    tenant_id: str,
    *,
    learner_id: str | None = None,
    assigned_by: str | None = None,
    due_before: datetime | None = None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> tuple[str, list[Any]]:
    """The statement of a page of a learner's (or an assigner's) assignments."""
    column, person = (
        ("learner_id", learner_id) if learner_id is not None else ("assigned_by", assigned_by)
    )
    conditions = f"tenant_id = %s AND {column} = %s"
    params: list[Any] = [tenant_id, person]
    if due_before is not None:
        conditions += " AND due_at < %s"
        params.append(due_before)
    if after is not None:
        conditions += " AND (assigned_at, assignment_id) < (%s, %s)"
        params += [after[0], after[1]]
    statement = (
        f"SELECT {_COLUMNS} FROM assignments WHERE {conditions} "  # noqa: S608
        "ORDER BY assigned_at DESC, assignment_id DESC LIMIT %s"
    )
    return statement, [*params, limit]


class PostgresAssignmentRepository:
    """One tenant's assignments."""

    def __init__(self, connection: AsyncConnection[Any], tenant_id: str) -> None:
        self._c = connection
        self._tenant = tenant_id

    async def add(self, a: Assignment) -> bool:
        """Insert; False if this learner already has this assignment."""
        return bool(
            await execute(
                self._c,
                f"INSERT INTO assignments (tenant_id, {_COLUMNS}) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (
                    self._tenant,
                    a.assignment_id,
                    a.learner_id,
                    a.assigned_by,
                    a.target_kind,
                    a.target_id,
                    a.target_title,
                    a.due_at,
                    a.compliance,
                    a.assigned_at,
                ),
            )
        )

    async def get(self, assignment_id: str) -> Assignment | None:
        row = await fetch_one(
            self._c,
            f"SELECT {_COLUMNS} FROM assignments WHERE tenant_id = %s "  # noqa: S608
            "AND assignment_id = %s",
            (self._tenant, assignment_id),
        )
        return _assignment(row) if row is not None else None

    async def page(
        self,
        *,
        learner_id: str | None = None,
        assigned_by: str | None = None,
        due_before: datetime | None = None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Assignment]:
        """Newest first, of a learner (``assignments_learner``) or by an assigner
        (``assignments_assigner``)."""
        statement = assignments_page(
            self._tenant,
            learner_id=learner_id,
            assigned_by=assigned_by,
            due_before=due_before,
            after=after,
            limit=limit,
        )
        return [_assignment(row) for row in await fetch_all(self._c, *statement)]

    async def erase_person(self, person_id: str, pseudonym: str) -> int:
        """Erasure: work assigned to the person goes; work they assigned stays, anonymous."""
        deleted = await execute(
            self._c,
            "DELETE FROM assignments WHERE tenant_id = %s AND learner_id = %s",
            (self._tenant, person_id),
        )
        return deleted + await execute(
            self._c,
            "UPDATE assignments SET assigned_by = %s WHERE tenant_id = %s AND assigned_by = %s",
            (pseudonym, self._tenant, person_id),
        )
