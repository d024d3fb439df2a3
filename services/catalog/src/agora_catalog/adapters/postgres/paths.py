"""Paths and path enrolments on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from psycopg import AsyncConnection

from agora_catalog.adapters.postgres.rows import Row, execute, fetch_all, fetch_one
from agora_catalog.domain.learning import Step
from agora_catalog.domain.model import Enrolment, Path, SkillLevel

_SAVE_PROGRESS: Final = """
UPDATE enrolments AS e
SET completed_item_ids = ARRAY(
        SELECT item FROM jsonb_array_elements_text(v.done) WITH ORDINALITY AS d(item, n)
        ORDER BY n
    ),
    completed = v.completed,
    completed_at = v.completed_at
FROM unnest(%b::text[], %b::text[], %b::text[]::jsonb[], %b::boolean[], %b::timestamptz[])
    AS v(learner_id, path_id, done, completed, completed_at)
WHERE e.tenant_id = %s AND e.learner_id = v.learner_id AND e.path_id = v.path_id
"""


def _steps(row: Row) -> tuple[Step, ...]:
    return tuple(
        Step(i, m) for i, m in zip(row["step_item_ids"], row["step_mandatory"], strict=True)
    )


def _skills(row: Row) -> tuple[SkillLevel, ...]:
    pairs = zip(row["target_skill_ids"], row["target_skill_levels"], strict=True)
    return tuple(SkillLevel(s, lvl) for s, lvl in pairs)


def _path(row: Row) -> Path:
    return Path(
        path_id=row["path_id"],
        title=row["title"],
        description=row["description"],
        objectives=tuple(row["objectives"]),
        steps=_steps(row),
        target_skills=_skills(row),
        onboarding=row["onboarding"],
        space_id=row["space_id"],
        author_id=row["author_id"],
        status=row["status"],
        like_count=row["like_count"],
        comment_count=row["comment_count"],
        create_time=row["create_time"],
    )


def _enrolment(row: Row) -> Enrolment:
    return Enrolment(
        learner_id=row["learner_id"],
        path_id=row["path_id"],
        path_title=row["path_title"],
        steps=_steps(row),
        target_skills=_skills(row),
        completed_item_ids=tuple(row["completed_item_ids"]),
        self_enrolled=row["self_enrolled"],
        enrolled_at=row["enrolled_at"],
        completed=row["completed"],
        completed_at=row["completed_at"],
    )


def published_paths(
    tenant_id: str, onboarding_only: bool, after: tuple[datetime, str] | None, limit: int
) -> tuple[str, list[Any]]:
    """The statement of a page of published paths, newest first."""
    where = "status = 'published'" + (" AND onboarding" if onboarding_only else "")
    params: list[Any] = [tenant_id]
    if after is not None:
        where += " AND (create_time, path_id) < (%s, %s)"
        params += [after[0], after[1]]
    statement = (
        f"SELECT * FROM paths WHERE tenant_id = %s AND {where} "  # noqa: S608
        "ORDER BY create_time DESC, path_id DESC LIMIT %s"
    )
    return statement, [*params, limit]


class PostgresPathRepository:
    """One tenant's paths."""

    def __init__(self, connection: AsyncConnection[Any], tenant_id: str) -> None:
        self._c = connection
        self._tenant = tenant_id

    async def add(self, path: Path) -> None:
        await execute(
            self._c,
            "INSERT INTO paths (tenant_id, path_id, title, description, objectives, "
            "step_item_ids, step_mandatory, target_skill_ids, target_skill_levels, onboarding, "
            "space_id, author_id, status, create_time) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                self._tenant,
                path.path_id,
                path.title,
                path.description,
                list(path.objectives),
                [s.item_id for s in path.steps],
                [s.mandatory for s in path.steps],
                [s.skill_id for s in path.target_skills],
                [s.level for s in path.target_skills],
                path.onboarding,
                path.space_id,
                path.author_id,
                path.status,
                path.create_time,
            ),
        )

    async def get(self, path_id: str, *, for_update: bool = False) -> Path | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await fetch_one(
            self._c,
            f"SELECT * FROM paths WHERE tenant_id = %s AND path_id = %s{lock}",  # noqa: S608
            (self._tenant, path_id),
        )
        return _path(row) if row is not None else None

    async def set_status(self, path_id: str, status: str, at: datetime) -> Path:
        column = {"published": "published_at", "archived": "archived_at"}[status]
        row = await fetch_one(
            self._c,
            f"UPDATE paths SET status = %s, {column} = %s "  # noqa: S608
            "WHERE tenant_id = %s AND path_id = %s RETURNING *",
            (status, at, self._tenant, path_id),
        )
        assert row is not None, "set_status follows a locking get"
        return _path(row)

    async def list_published(
        self, onboarding_only: bool, after: tuple[datetime, str] | None, limit: int
    ) -> list[Path]:
        """Newest first (``paths_recent``; ``paths_onboarding`` for onboarding paths)."""
        statement = published_paths(self._tenant, onboarding_only, after, limit)
        return [_path(row) for row in await fetch_all(self._c, *statement)]

    async def anonymise_person(self, person_id: str, pseudonym: str) -> int:
        return await execute(
            self._c,
            "UPDATE paths SET author_id = %s WHERE tenant_id = %s AND author_id = %s",
            (pseudonym, self._tenant, person_id),
        )


class PostgresEnrolmentRepository:
    """One tenant's path enrolments."""

    def __init__(self, connection: AsyncConnection[Any], tenant_id: str) -> None:
        self._c = connection
        self._tenant = tenant_id

    async def add(self, enrolment: Enrolment) -> bool:
        """Insert; False if the learner was already enrolled (nothing written)."""
        e = enrolment
        return bool(
            await execute(
                self._c,
                "INSERT INTO enrolments (tenant_id, learner_id, path_id, path_title, "
                "step_item_ids, step_mandatory, target_skill_ids, target_skill_levels, "
                "completed_item_ids, self_enrolled, enrolled_at, completed, completed_at) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                (
                    self._tenant,
                    e.learner_id,
                    e.path_id,
                    e.path_title,
                    [s.item_id for s in e.steps],
                    [s.mandatory for s in e.steps],
                    [s.skill_id for s in e.target_skills],
                    [s.level for s in e.target_skills],
                    list(e.completed_item_ids),
                    e.self_enrolled,
                    e.enrolled_at,
                    e.completed,
                    e.completed_at,
                ),
            )
        )

    async def get(self, learner_id: str, path_id: str) -> Enrolment | None:
        row = await fetch_one(
            self._c,
            "SELECT * FROM enrolments WHERE tenant_id = %s AND learner_id = %s AND path_id = %s",
            (self._tenant, learner_id, path_id),
        )
        return _enrolment(row) if row is not None else None

    async def get_many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Enrolment]:
        """Enrolments by (learner, path)."""
        rows = await fetch_all(
            self._c,
            "SELECT e.* FROM enrolments e JOIN unnest(%b::text[], %b::text[]) AS k(l, p) "
            "ON e.learner_id = k.l AND e.path_id = k.p WHERE e.tenant_id = %s",
            ([k[0] for k in keys], [k[1] for k in keys], self._tenant),
        )
        return {(row["learner_id"], row["path_id"]): _enrolment(row) for row in rows}

    async def of_learner(self, learner_id: str) -> list[Enrolment]:
        rows = await fetch_all(
            self._c,
            "SELECT * FROM enrolments WHERE tenant_id = %s AND learner_id = %s "
            "ORDER BY enrolled_at DESC LIMIT 500",
            (self._tenant, learner_id),
        )
        return [_enrolment(row) for row in rows]

    async def open_of_learners(self, learner_ids: Sequence[str]) -> list[Enrolment]:
        """The unfinished enrolments of ``learner_ids``, locked (primary key range)."""
        rows = await fetch_all(
            self._c,
            "SELECT * FROM enrolments WHERE tenant_id = %s AND learner_id = ANY(%b::text[]) "
            "AND NOT completed ORDER BY learner_id, path_id FOR UPDATE",
            (self._tenant, list(learner_ids)),
        )
        return [_enrolment(row) for row in rows]

    async def save_progress(self, enrolments: Sequence[Enrolment]) -> None:
        """Write the completed steps (and completion) of each enrolment: one statement.

        A list per row cannot travel in an array of arrays (they must all be as long),
        so each enrolment's steps go as a JSON array, read back in their order.
        """
        if not enrolments:
            return
        await execute(
            self._c,
            _SAVE_PROGRESS,
            (
                [e.learner_id for e in enrolments],
                [e.path_id for e in enrolments],
                [json.dumps(e.completed_item_ids) for e in enrolments],
                [e.completed for e in enrolments],
                [e.completed_at for e in enrolments],
                self._tenant,
            ),
        )

    async def delete_learner(self, learner_id: str) -> int:
        return await execute(
            self._c,
            "DELETE FROM enrolments WHERE tenant_id = %s AND learner_id = %s",
            (self._tenant, learner_id),
        )
