"""A pooled connection the server closed is replaced before a caller gets it, while a
healthy idle connection is handed out without a ping (one round trip less per unit of
work)."""

from __future__ import annotations

import asyncio
import os
import signal

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from agora_core.postgres import Database, create_pool
from agora_core.postgres.pool import check_connection

pytestmark = pytest.mark.integration

APP = "pool-check-test"


async def _terminate_idle(dsn: str, application: str) -> int:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as admin:
        cursor = await admin.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s AND state = 'idle'",
            (application,),
        )
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def test_connections_the_server_closed_are_replaced_not_handed_out(
    postgres_dsn: str, postgres_admin_dsn: str
) -> None:
    pool = create_pool(postgres_dsn, application_name=APP, min_size=3, max_size=3)
    await pool.open(wait=True)
    try:
        database = Database(pool)
        # Every connection has been used once, then sits idle in the pool.
        await asyncio.gather(*(_select_one(database) for _ in range(3)))
        assert await _terminate_idle(postgres_admin_dsn, APP) == 3
        await asyncio.sleep(0.2)  # the server's termination notice reaches the sockets
        for _ in range(6):
            assert await _select_one(database) == 1
    finally:
        await pool.close()


async def test_a_quiet_connection_passes_without_a_round_trip(postgres_dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(postgres_dsn, autocommit=True) as conn:
        await conn.execute("SELECT 1")
        backend = conn.info.backend_pid
        # With its server process stopped, any round trip would hang: the check must
        # answer from the socket alone (psycopg_pool's own check times out here).
        os.kill(backend, signal.SIGSTOP)
        try:
            await asyncio.wait_for(check_connection(conn), timeout=2.0)
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(AsyncConnectionPool.check_connection(conn), timeout=1.0)
        finally:
            os.kill(backend, signal.SIGCONT)


async def test_a_connection_closed_by_the_server_fails_the_check(
    postgres_dsn: str, postgres_admin_dsn: str
) -> None:
    conn = await psycopg.AsyncConnection.connect(
        postgres_dsn, autocommit=True, application_name=f"{APP}-single"
    )
    try:
        await conn.execute("SELECT 1")
        assert await _terminate_idle(postgres_admin_dsn, f"{APP}-single") == 1
        await asyncio.sleep(0.2)
        with pytest.raises(psycopg.OperationalError):
            await check_connection(conn)
    finally:
        await conn.close()


async def _select_one(database: Database) -> int:
    async with database.unit_of_work("acme") as uow:
        cursor = await uow.connection.execute("SELECT 1")
        row = await cursor.fetchone()
    return int(row[0]) if row else 0
