"""The catalog projection on PostgreSQL (published items and the items of each path)
and the nudge's pick: the shortest unfinished short item of the person's paths, else of
their skills."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from agora_core.postgres.pool import AsyncConnection
from agora_notifications.domain.catalog import ShortItem

_PUBLISHED: Final = (
    "INSERT INTO catalog_items (tenant_id, item_id, title, estimated_minutes, skill_ids,"
    " archived) VALUES (%s, %s, %s, %s, %s, false) ON CONFLICT (tenant_id, item_id)"
    " DO UPDATE SET title = excluded.title, estimated_minutes = excluded.estimated_minutes,"
    " skill_ids = excluded.skill_ids, archived = false"
)
_ARCHIVED: Final = "UPDATE catalog_items SET archived = true WHERE tenant_id = %s AND item_id = %s"
_PATH_CLEARED: Final = "DELETE FROM catalog_path_items WHERE tenant_id = %s AND path_id = %s"
_PATH_ITEMS: Final = (
    "INSERT INTO catalog_path_items (tenant_id, path_id, item_id, position)"
    " SELECT %s, %s, item, position - 1"
    " FROM unnest(%b::text[]) WITH ORDINALITY AS steps(item, position)"
    " ON CONFLICT (tenant_id, path_id, item_id) DO NOTHING"
)
_SHORT: Final = (
    "SELECT i.item_id, i.title, i.estimated_minutes FROM catalog_items AS i"
    " WHERE i.tenant_id = %s AND NOT i.archived AND i.estimated_minutes <= %s"
    " AND NOT (i.item_id = ANY(%b::text[]))"
)
_FROM_PATHS: Final = (
    _SHORT + " AND i.item_id IN (SELECT p.item_id FROM catalog_path_items AS p"
    " WHERE p.tenant_id = %s AND p.path_id = ANY(%b::text[]))"
    " ORDER BY i.estimated_minutes, i.item_id LIMIT 1"
)
_FROM_SKILLS: Final = (
    _SHORT + " AND i.skill_ids && %s ORDER BY i.estimated_minutes, i.item_id LIMIT 1"
)


class PostgresCatalogRepository:
    """One tenant's catalog projection, bound to a unit of work's connection."""

    def __init__(self, connection: AsyncConnection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id

    async def item_published(
        self, item_id: str, title: str, estimated_minutes: int, skill_ids: Sequence[str]
    ) -> None:
        await self._connection.execute(
            _PUBLISHED, (self._tenant, item_id, title, estimated_minutes, list(skill_ids))
        )

    async def item_archived(self, item_id: str) -> None:
        await self._connection.execute(_ARCHIVED, (self._tenant, item_id))

    async def path_published(self, path_id: str, item_ids: Sequence[str]) -> None:
        """The path's items now (a republished path replaces its list)."""
        await self._connection.execute(_PATH_CLEARED, (self._tenant, path_id))
        await self._connection.execute(_PATH_ITEMS, (self._tenant, path_id, list(item_ids)))

    async def short_item_for(
        self,
        *,
        path_ids: Sequence[str],
        skill_ids: Sequence[str],
        completed: Sequence[str],
        max_minutes: int,
    ) -> ShortItem | None:
        """The shortest (then lowest id) unarchived item of at most ``max_minutes`` the
        person has not completed: from their paths, else matching their skills."""
        head = (self._tenant, max_minutes, list(completed))
        for query, params in (
            (_FROM_PATHS, (*head, self._tenant, list(path_ids))),
            (_FROM_SKILLS, (*head, list(skill_ids))),
        ):
            cursor = await self._connection.execute(query, params)
            row = await cursor.fetchone()
            if row is not None:
                return ShortItem(row[0], row[1], row[2])
        return None
