"""xAPI statements on PostgreSQL: the statements projected from a tenant's events, by
statement id (uuid5 of the source event: projecting one event twice is a no-op), kept
for a retention window after which they are purged (the statement event itself goes
through the outbox in the same transaction)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from psycopg.types.json import Jsonb

from agora_core.postgres.pool import AsyncConnection

_ADD: Final = (
    "INSERT INTO xapi_statements (tenant_id, statement_id, actor_id, verb, stored_at,"
    " statement) VALUES (%s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (tenant_id, statement_id) DO NOTHING"
)
_PURGE: Final = "DELETE FROM xapi_statements WHERE tenant_id = %s AND stored_at < %s"
_OF_ACTOR: Final = (
    "SELECT statement FROM xapi_statements WHERE tenant_id = %s AND actor_id = %s"
    " ORDER BY stored_at, statement_id"
)


class PostgresXapiStatementRepository:
    """One tenant's projected statements, bound to a unit of work's connection."""

    def __init__(self, connection: AsyncConnection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id

    async def add_once(
        self,
        statement_id: uuid.UUID,
        *,
        actor_id: str,
        verb: str,
        stored_at: datetime,
        statement: dict[str, Any],
    ) -> bool:
        """Store; False when this statement was projected already."""
        cursor = await self._connection.execute(
            _ADD, (self._tenant, statement_id, actor_id, verb, stored_at, Jsonb(statement))
        )
        return cursor.rowcount == 1

    async def of_actor(self, actor_id: str) -> list[dict[str, Any]]:
        """The person's statements still kept, oldest first (index
        ``xapi_statements_of_actor``)."""
        cursor = await self._connection.execute(_OF_ACTOR, (self._tenant, actor_id))
        return [row[0] for row in await cursor.fetchall()]

    async def purge_before(self, cutoff: datetime) -> int:
        """Drop statements stored before ``cutoff`` (index ``xapi_statements_stored``)."""
        cursor = await self._connection.execute(_PURGE, (self._tenant, cutoff))
        return cursor.rowcount
