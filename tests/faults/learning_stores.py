"""Where a service of the learning rig keeps its processed marks and its outbox (its
PostgreSQL database)."""

from __future__ import annotations

from collections.abc import Sequence

from agora_core.postgres import Database


class RigStore:
    """A rig service's processed marks and outbox, read by the audit. A mark commits in
    the transaction of its effects, so an effect never lands without its mark."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def _count(self, query: str, params: tuple[object, ...]) -> int:
        async with self.database.unit_of_work() as uow:
            cursor = await uow.connection.execute(query, params)
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def marked(self, group: str, event_ids: Sequence[str]) -> int:
        return await self._count(
            "SELECT count(*) FROM processed_events"
            " WHERE group_id = %s AND event_id = ANY(%s::text[]::uuid[])",
            (group, list(event_ids)),
        )

    async def pending_outbox(self, tenant: str) -> int:
        return await self._count("SELECT count(*) FROM outbox WHERE tenant_id = %s", (tenant,))
