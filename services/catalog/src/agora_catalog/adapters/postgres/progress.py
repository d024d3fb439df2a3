"""Learners' progress on items on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from psycopg import AsyncConnection

from agora_catalog.adapters.postgres.rows import Row, execute, fetch_all, fetch_one
from agora_catalog.domain.model import Progress

_COLUMNS: Final = (
    "learner_id, item_id, item_title, item_type, percent, last_position, completed, "
    "started_at, updated_at, completed_at"
)


def _progress(row: Row) -> Progress:
    return Progress(**{k: row[k] for k in _COLUMNS.split(", ")})


def progress_page(
    tenant_id: str, learner_id: str, after: tuple[datetime, str] | None, limit: int
) -> tuple[str, list[Any]]:
    """The statement of a page of a learner's progress, newest activity first."""
    keyset = ""
    params: list[Any] = [tenant_id, learner_id]
    if after is not None:
        keyset = " AND (updated_at, item_id) < (%s, %s)"
        params += [after[0], after[1]]
    statement = (
        f"SELECT {_COLUMNS} FROM progress WHERE tenant_id = %s AND learner_id = %s"  # noqa: S608
        f"{keyset} ORDER BY updated_at DESC, item_id DESC LIMIT %s"
    )
    return statement, [*params, limit]


class PostgresProgressRepository:
    """One tenant's progress rows (one per learner and item)."""

    def __init__(self, connection: AsyncConnection[Any], tenant_id: str) -> None:
        self._c = connection
        self._tenant = tenant_id

    async def start(self, progress: Progress, skill_ids: Sequence[str]) -> bool:
        """Insert a started row; False if the learner had started already."""
        p = progress
        return bool(
            await execute(
                self._c,
                f"INSERT INTO progress (tenant_id, {_COLUMNS}, skill_ids) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (
                    self._tenant,
                    p.learner_id,
                    p.item_id,
                    p.item_title,
                    p.item_type,
                    p.percent,
                    p.last_position,
                    p.completed,
                    p.started_at,
                    p.updated_at,
                    p.completed_at,
                    list(skill_ids),
                ),
            )
        )

    async def get(self, learner_id: str, item_id: str, *, for_update: bool = False) -> Progress:
        lock = " FOR UPDATE" if for_update else ""
        row = await fetch_one(
            self._c,
            f"SELECT {_COLUMNS} FROM progress WHERE tenant_id = %s "  # noqa: S608
            f"AND learner_id = %s AND item_id = %s{lock}",
            (self._tenant, learner_id, item_id),
        )
        assert row is not None, "get follows start"
        return _progress(row)

    async def save(self, progress: Progress, skill_ids: Sequence[str]) -> None:
        p = progress
        await execute(
            self._c,
            "UPDATE progress SET percent = %s, last_position = %s, completed = %s, "
            "updated_at = %s, completed_at = %s, skill_ids = %s "
            "WHERE tenant_id = %s AND learner_id = %s AND item_id = %s",
            (
                p.percent,
                p.last_position,
                p.completed,
                p.updated_at,
                p.completed_at,
                list(skill_ids),
                self._tenant,
                p.learner_id,
                p.item_id,
            ),
        )

    async def page(
        self, learner_id: str, after: tuple[datetime, str] | None, limit: int
    ) -> list[Progress]:
        """Newest activity first (``progress_recent``)."""
        rows = await fetch_all(self._c, *progress_page(self._tenant, learner_id, after, limit))
        return [_progress(row) for row in rows]

    async def completed_items(self, learner_id: str, item_ids: Sequence[str]) -> list[str]:
        rows = await fetch_all(
            self._c,
            "SELECT item_id FROM progress WHERE tenant_id = %s AND learner_id = %s "
            "AND item_id = ANY(%b::text[]) AND completed",
            (self._tenant, learner_id, list(item_ids)),
        )
        return [row["item_id"] for row in rows]

    async def get_many(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], Progress]:
        """Progress by (learner, item)."""
        rows = await fetch_all(
            self._c,
            f"SELECT {', '.join('p.' + c for c in _COLUMNS.split(', '))} FROM progress p "  # noqa: S608
            "JOIN unnest(%b::text[], %b::text[]) AS k(l, i) "
            "ON p.learner_id = k.l AND p.item_id = k.i WHERE p.tenant_id = %s",
            ([k[0] for k in keys], [k[1] for k in keys], self._tenant),
        )
        return {(row["learner_id"], row["item_id"]): _progress(row) for row in rows}

    async def delete_learner(self, learner_id: str) -> int:
        return await execute(
            self._c,
            "DELETE FROM progress WHERE tenant_id = %s AND learner_id = %s",
            (self._tenant, learner_id),
        )
