"""The benchmarks' PostgreSQL server between phases."""

from __future__ import annotations

import psycopg


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
