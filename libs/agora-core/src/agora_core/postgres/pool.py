"""The one place that builds a PostgreSQL connection pool (psycopg 3 + psycopg_pool).

psycopg 3 over asyncpg: it works behind PgBouncer in transaction mode with server-side
prepared statements switched off (``prepare_threshold=None``), speaks COPY and
LISTEN/NOTIFY, and is the driver Alembic (through SQLAlchemy) uses too, so one driver
and one DSN serve the service and its migrations. bench/core_messaging.py measures
both drivers on the consumer's unit of work.
"""

from __future__ import annotations

import select
from typing import Any

import psycopg
from psycopg.rows import tuple_row
from psycopg_pool import AsyncConnectionPool

from agora_core.postgres.traced_cursor import TracedCursor

AsyncConnection = psycopg.AsyncConnection[tuple[Any, ...]]
Pool = AsyncConnectionPool[AsyncConnection]


def connection_options(*, application_name: str) -> dict[str, Any]:
    """Options every connection gets, pooled or not.

    Autocommit: a pooled connection that ran a lone statement would otherwise keep a
    transaction open between uses; every unit of work opens its own explicitly.
    No server-side prepared statements: PgBouncer in transaction mode may hand the
    next transaction another server connection.
    """
    return {
        "autocommit": True,
        "prepare_threshold": None,
        "row_factory": tuple_row,
        "application_name": application_name,
        "connect_timeout": 5,
        # A span per statement inside recorded traces (agora_core.postgres.traced_cursor).
        "cursor_factory": TracedCursor,
    }


def create_pool(
    dsn: str,
    *,
    application_name: str,
    min_size: int = 1,
    max_size: int = 10,
    timeout: float = 5.0,
) -> Pool:
    """A closed pool; ``await pool.open()`` starts it (the runtime does, at start).

    ``timeout`` bounds the wait for a free connection: an exhausted pool fails the
    caller with ``PoolTimeout`` (mapped to UNAVAILABLE) instead of hanging it.
    Connections are checked before they are handed out (:func:`check_connection`), so
    one the server closed (a restart, ``pg_terminate_backend``) is replaced rather than
    failing a call.
    """
    return AsyncConnectionPool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        timeout=timeout,
        kwargs=connection_options(application_name=application_name),
        check=check_connection,
        open=False,
        name=application_name,
    )


async def check_connection(connection: AsyncConnection) -> None:
    """Raise if ``connection`` is unusable; a round trip only when it may be.

    An idle connection has nothing to read: when the server closes it (a restart,
    ``pg_terminate_backend``, an idle timeout) it first sends an error or the end of the
    stream, and its socket becomes readable. A quiet socket therefore needs no ping,
    which saves a round trip on every unit of work; anything to read (or a connection
    already known broken) gets psycopg_pool's own check, which raises when it is dead.
    """
    if not connection.broken and not connection.closed:
        readable, _, _ = select.select([connection.fileno()], [], [], 0)
        if not readable:
            return
    await AsyncConnectionPool.check_connection(connection)


async def ping(pool: Pool) -> bool:
    """True when the server answers a query; used by readiness probes."""
    try:
        async with pool.connection(timeout=2.0) as connection:
            await connection.execute("SELECT 1")
    except Exception:  # any failure means "not ready"; the probe reports, never raises
        return False
    return True
