"""PostgreSQL faults the scenarios inject: the server SIGKILLed (crash recovery on the
next start), the service's connections terminated mid-transaction, and a table lock
held until every connection of the service's pool waits behind it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
from psycopg import sql

from agora_core.testing import eventually
from agora_platform.processes import alive, wait_exit


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            # /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces.
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _server_processes(state_dir: Path) -> tuple[int, list[int]]:
    """The postmaster ``postgres.sh`` recorded and its children."""
    pid = int((state_dir / "postgres" / "postgres.pid").read_text().strip())
    assert "postgres" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    return pid, _children(pid)


async def kill_postgres(state_dir: Path) -> int:
    """SIGKILL the private server's postmaster and every process of it (as an OOM
    kill of its container would): no shutdown checkpoint, so the next start runs crash
    recovery from the WAL. Returns the postmaster's pid."""
    pid, children = await asyncio.to_thread(_server_processes, state_dir)
    os.kill(pid, signal.SIGKILL)
    for child in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
    assert await wait_exit(pid, 30.0), f"postmaster {pid} survived SIGKILL"
    for child in children:
        assert await wait_exit(child, 30.0) or not alive(child), f"backend {child} survived"
    return pid


async def terminate_in_transaction(dsn: str, application: str) -> int:
    """``pg_terminate_backend`` on every backend of ``application`` that is inside a
    transaction right now; returns how many were."""
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as connection:
        cursor = await connection.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND application_name = %(application)s AND xact_start IS NOT NULL",
            {"application": application},
        )
        row = await cursor.fetchone()
    return int(row[0]) if row is not None else 0


async def waiting_on_lock(dsn: str, application: str) -> int:
    """Backends of ``application`` waiting for a lock."""
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as connection:
        cursor = await connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = %(application)s AND wait_event_type = 'Lock'",
            {"application": application},
        )
        row = await cursor.fetchone()
    return int(row[0]) if row is not None else 0


@contextlib.asynccontextmanager
async def table_locked(dsn: str, table: str) -> AsyncIterator[None]:
    """``LOCK TABLE table IN ACCESS EXCLUSIVE MODE`` held (as a long migration or a
    stuck transaction would) until the block ends: every statement touching the table
    waits, each holding its pool connection meanwhile."""
    async with (
        await psycopg.AsyncConnection.connect(dsn) as connection,
        connection.transaction(),
    ):
        await connection.execute(
            sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(sql.Identifier(table))
        )
        yield


async def until_waiting(dsn: str, application: str, count: int, timeout: float) -> None:
    async def enough() -> bool:
        return await waiting_on_lock(dsn, application) >= count

    await eventually(enough, timeout=timeout, interval=0.2)
