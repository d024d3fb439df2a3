"""The benchmarks' PostgreSQL server between phases."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg

from agora_core.postgres import Database


async def checkpoint(admin_dsn: str) -> None:
    """Write every dirty buffer now (``CHECKPOINT``, as the superuser).

    A seed writes gigabytes of WAL; each 1 GB of it (``max_wal_size``) starts a
    checkpoint that spreads its writes over the next minutes
    (``checkpoint_completion_target``), into whatever is measured then: one ran 95 s
    under the catalog's searches (server log, 2026-12-07 21:24 to 21:25). Taken before
    each measured phase, the phase pays for its own writes only.
    """
    async with await psycopg.AsyncConnection.connect(admin_dsn, autocommit=True) as connection:
        await connection.execute("CHECKPOINT")


async def scalar(
    database: Database,
    tenant: str,
    query: str,
    params: Sequence[Any] | Mapping[str, Any] = (),
) -> int:
    """The whole number ``query`` answers in a unit of work of ``tenant`` (0 for no row):
    a count, a sum."""
    async with database.unit_of_work(tenant) as uow:
        row = await (await uow.connection.execute(query, params)).fetchone()
    return int(row[0]) if row is not None and row[0] is not None else 0


async def outbox_emptied(
    database: Database, tenant: str, *, timeout: float = 600
) -> tuple[int, float]:
    """Until the service's outbox is empty (every event its writes caused published by
    its relay): the rows there at first and the seconds waited."""
    began, first = time.perf_counter(), None
    while True:
        left = await scalar(database, tenant, "SELECT count(*) FROM outbox")
        first = left if first is None else first
        if not left:
            return first, round(time.perf_counter() - began, 2)
        if time.perf_counter() - began > timeout:
            raise TimeoutError(f"{left} outbox rows still unpublished after {timeout:g} s")
        await asyncio.sleep(0.2)
