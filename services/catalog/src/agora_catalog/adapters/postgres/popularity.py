"""Popularity counters of items and paths on PostgreSQL: one statement per table for
a whole batch of likes and comments (deltas summed per target beforehand)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from psycopg import AsyncConnection

from agora_catalog.adapters.postgres.rows import execute

_TABLES: Final = {"knowledge": ("items", "item_id"), "path": ("paths", "path_id")}


class PostgresPopularityRepository:
    """Adds like and comment deltas to one tenant's items and paths."""

    def __init__(self, connection: AsyncConnection[Any], tenant_id: str) -> None:
        self._c = connection
        self._tenant = tenant_id

    async def add_counts(
        self, target_type: str, deltas: Mapping[str, tuple[int, int]], comment_weight: int
    ) -> int:
        """``deltas``: target id → (likes, comments); like counts never go below zero.
        Returns how many targets changed (unknown targets are not the catalog's)."""
        table, key = _TABLES[target_type]
        ids = list(deltas)
        return await execute(
            self._c,
            f"UPDATE {table} AS t SET like_count = greatest(t.like_count + d.likes, 0), "  # noqa: S608
            "comment_count = greatest(t.comment_count + d.comments, 0), "
            "popularity = greatest(t.like_count + d.likes, 0) "
            "+ %s * greatest(t.comment_count + d.comments, 0) "
            "FROM unnest(%b::text[], %b::int[], %b::int[]) AS d(target_id, likes, comments) "
            f"WHERE t.tenant_id = %s AND t.{key} = d.target_id",
            (
                comment_weight,
                ids,
                [deltas[i][0] for i in ids],
                [deltas[i][1] for i in ids],
                self._tenant,
            ),
        )
