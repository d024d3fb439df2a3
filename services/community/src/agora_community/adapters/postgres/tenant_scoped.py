"""What every repository shares: the transaction's connection and its tenant."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agora_core.postgres.pool import AsyncConnection

Row = tuple[Any, ...]


class TenantScoped:
    """A repository bound to one unit of work's connection; every statement names the
    tenant (row-level security is the second wall)."""

    def __init__(self, connection: AsyncConnection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id

    async def _one(self, query: str, params: Sequence[Any]) -> Row | None:
        cursor = await self._connection.execute(query, params)
        return await cursor.fetchone()

    async def _all(self, query: str, params: Sequence[Any]) -> list[Row]:
        cursor = await self._connection.execute(query, params)
        return await cursor.fetchall()

    async def _run(self, query: str, params: Sequence[Any]) -> int:
        """Run a statement; the number of rows it changed."""
        cursor = await self._connection.execute(query, params)
        if cursor.rowcount < 0:
            # In a pipelined unit of work the count is known once the result is back.
            async with self._connection.pipeline() as pipeline:
                await pipeline.sync()
        return cursor.rowcount
