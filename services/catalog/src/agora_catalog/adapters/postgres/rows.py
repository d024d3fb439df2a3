"""Running one statement on a unit of work's connection and reading rows as dicts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

Row = dict[str, Any]


async def fetch_all(
    connection: AsyncConnection[Any], query: str, params: Sequence[Any] | dict[str, Any] = ()
) -> list[Row]:
    async with connection.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(query, params)
        return await cursor.fetchall()


async def fetch_one(
    connection: AsyncConnection[Any], query: str, params: Sequence[Any] | dict[str, Any] = ()
) -> Row | None:
    async with connection.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(query, params)
        return await cursor.fetchone()


async def execute(
    connection: AsyncConnection[Any], query: str, params: Sequence[Any] | dict[str, Any] = ()
) -> int:
    """Run a statement; how many rows it touched."""
    cursor = await connection.execute(query, params)
    return cursor.rowcount
