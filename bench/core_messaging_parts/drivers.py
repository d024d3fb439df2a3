"""PostgreSQL drivers compared on the very same SQL: the consumer's unit of work of 500
events and single-row inserts, psycopg 3 (what agora-core uses) against asyncpg."""

from __future__ import annotations

import functools
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Final

import asyncpg
import psycopg
from psycopg.conninfo import conninfo_to_dict

from agora_core.messaging.events import OutgoingEvent
from agora_core.postgres import Database, UnitOfWork
from agora_core.postgres.pool import connection_options
from agora_core.postgres.processed import _MARK
from agora_core.postgres.unit_of_work import (
    _INSERT_OUTBOX,
    OUTBOX_CHANNEL,
    TENANT_SETTING,
    outbox_columns,
)
from bench import core_messaging_report as report_
from bench.core_messaging_parts.workload import (
    GROUP,
    INSERT_MANY,
    INSERT_ONE,
    TENANT,
    Batch,
    Names,
    Phases,
    elsewhere,
    truncate,
    unit_of_work_batch,
)
from bench.platform_report import summary


def dollar_params(query: str) -> str:
    """psycopg's ``%s``/``%b`` placeholders as asyncpg's ``$1, $2…`` (the very same SQL)."""
    counter = iter(range(1, 1000))
    return re.sub(r"%[sb]", lambda _: f"${next(counter)}", query)


ASYNCPG_MARK: Final = dollar_params(_MARK)


ASYNCPG_OUTBOX: Final = dollar_params(_INSERT_OUTBOX)


ASYNCPG_INSERT_MANY: Final = dollar_params(INSERT_MANY)


ASYNCPG_INSERT_ONE: Final = dollar_params(INSERT_ONE)


async def asyncpg_unit_of_work(
    connection: Any, event_type: str, part: tuple[Batch, Sequence[OutgoingEvent]]
) -> None:
    """The unit of work of :func:`unit_of_work_batch`, statement for statement, on asyncpg."""
    batch, outgoing = part
    async with connection.transaction():
        await connection.execute("SELECT set_config($1, $2, true)", TENANT_SETTING, TENANT)
        tenants, ids, types = (list(c) for c in zip(*batch.marks(event_type), strict=True))
        await connection.fetch(ASYNCPG_MARK, GROUP, tenants, ids, types)
        await connection.execute(ASYNCPG_INSERT_MANY, *batch.columns())
        await connection.execute(ASYNCPG_OUTBOX, *outbox_columns(outgoing), OUTBOX_CHANNEL)


async def asyncpg_connect(dsn: str, **options: Any) -> Any:
    """An asyncpg connection to a libpq conninfo DSN (asyncpg reads only URLs)."""
    params = conninfo_to_dict(dsn)
    return await asyncpg.connect(
        host=params.get("host"),
        port=int(params.get("port") or 5432),
        user=params.get("user"),
        password=params.get("password"),
        database=params.get("dbname"),
        **options,
    )


@asynccontextmanager
async def psycopg_connection(dsn: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    """One connection with the pool's options (autocommit, no prepared statements)."""
    options = connection_options(application_name="bench-core-psycopg")
    async with await psycopg.AsyncConnection.connect(dsn, **options) as connection:
        yield connection


async def psycopg_unit_of_work(
    connection: psycopg.AsyncConnection[Any],
    event_type: str,
    part: tuple[Batch, Sequence[OutgoingEvent]],
) -> None:
    """:func:`unit_of_work_batch` through agora-core's ``UnitOfWork`` on one connection."""
    batch, outgoing = part
    async with connection.transaction():
        uow = UnitOfWork(connection)
        await uow.set_tenant(TENANT)
        await unit_of_work_batch(uow, batch, event_type, outgoing)
        await uow.write_outbox()


async def interleaved(
    runs: dict[str, tuple[Callable[[Any], Awaitable[Any]], Sequence[Any]]],
) -> dict[str, list[float]]:
    """Seconds of each call, the drivers taking turns call by call.

    Taking turns spreads a shared machine's load spikes over every driver alike,
    instead of landing on whichever happened to run at that moment.
    """
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    rounds = min(len(items) for _, items in runs.values())
    for i in range(rounds):
        for name, (call, items) in runs.items():
            started = time.perf_counter()
            await call(items[i])
            seconds[name].append(time.perf_counter() - started)
    return seconds


async def drivers(
    database: Database, dsn: str, names: Names, batch: Batch, singles: int, phases: Phases
) -> dict[str, Any]:
    """The batch-of-500 unit of work and single-row inserts, psycopg 3 and asyncpg."""
    size = 500
    labels = (report_.PSYCOPG, report_.ASYNCPG, report_.ASYNCPG_NO_CACHE)
    share = len(batch.events) // len(labels)
    subsets = {
        name: Batch(
            batch.events[n * share : (n + 1) * share], batch.payloads[n * share : (n + 1) * share]
        )
        for n, name in enumerate(labels)
    }
    parts = {
        name: [(p, elsewhere(p.events, names.relayed_topic)) for p in subset.slices(size)]
        for name, subset in subsets.items()
    }
    task = phases.start(f"drivers: units of work of {size}, then single inserts", 2)
    pg = await psycopg.AsyncConnection.connect(
        dsn, **connection_options(application_name="bench-core-psycopg")
    )
    cached = await asyncpg_connect(dsn)
    uncached = await asyncpg_connect(dsn, statement_cache_size=0)
    try:
        batch_seconds = await interleaved(
            {
                report_.PSYCOPG: (
                    functools.partial(psycopg_unit_of_work, pg, names.event_type),
                    parts[report_.PSYCOPG],
                ),
                report_.ASYNCPG: (
                    functools.partial(asyncpg_unit_of_work, cached, names.event_type),
                    parts[report_.ASYNCPG],
                ),
                report_.ASYNCPG_NO_CACHE: (
                    functools.partial(asyncpg_unit_of_work, uncached, names.event_type),
                    parts[report_.ASYNCPG_NO_CACHE],
                ),
            }
        )
        phases.progress.advance(task)
        await truncate(database)
        # A session-level tenant: these connections serve nothing else.
        await pg.execute("SELECT set_config(%s, %s, false)", (TENANT_SETTING, TENANT))
        await cached.execute("SELECT set_config($1, $2, false)", TENANT_SETTING, TENANT)

        async def psycopg_insert(row: tuple[Any, ...]) -> None:
            await pg.execute(INSERT_ONE, row)

        async def asyncpg_insert(row: tuple[Any, ...]) -> None:
            await cached.execute(ASYNCPG_INSERT_ONE, *row)

        rows = {
            name: list(zip(*subsets[name].columns(), strict=True))[:singles]
            for name in (report_.PSYCOPG, report_.ASYNCPG)
        }
        single_seconds = await interleaved(
            {
                report_.PSYCOPG: (psycopg_insert, rows[report_.PSYCOPG]),
                report_.ASYNCPG: (asyncpg_insert, rows[report_.ASYNCPG]),
            }
        )
    finally:
        await pg.close()
        await cached.close()
        await uncached.close()
    await truncate(database)
    phases.done(task, "drivers")
    per_batch = {name: len(times) * size for name, times in batch_seconds.items()}
    return {
        "batch": size,
        "events_per_driver": min(per_batch.values()),
        "events_per_s": {
            name: round(report_.rate(per_batch[name], sum(times)), 1)
            for name, times in batch_seconds.items()
        },
        "single_insert_ms": {
            name: summary([t * 1000 for t in times]) for name, times in single_seconds.items()
        },
        "single_inserts": min(len(t) for t in single_seconds.values()),
    }


async def server_version(dsn: str) -> str:
    async with psycopg_connection(dsn) as connection:
        cursor = await connection.execute("SHOW server_version")
        row = await cursor.fetchone()
    return str(row[0]) if row else "?"
