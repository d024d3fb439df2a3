"""Migrations on the real server: an old schema holding data is upgraded to head with
its data carried over; upgrades are idempotent and safe to run concurrently."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import psycopg
import pytest
from core_grpc.notes_store import NOTES_MIGRATIONS

from agora_core.postgres.migrations import current_revision, upgrade_async

pytestmark = pytest.mark.integration


async def test_an_old_schema_with_data_is_upgraded_to_head(postgres_dsn: str) -> None:
    await upgrade_async(NOTES_MIGRATIONS, postgres_dsn, "0001")
    assert current_revision(postgres_dsn) == "0001"
    async with await psycopg.AsyncConnection.connect(postgres_dsn) as connection:
        for tenant, author, count in (("acme", "ana", 3), ("acme", "bob", 1), ("globex", "ana", 2)):
            async with connection.transaction():
                await connection.execute(
                    "SELECT set_config('agora.tenant_id', %s, true)", (tenant,)
                )
                for i in range(count):
                    await connection.execute(
                        "INSERT INTO notes (tenant_id, note_id, title, body, author_id, "
                        "create_time) VALUES (%s, %s, 't', '', %s, now())",
                        (tenant, f"{author}-{i}", author),
                    )

    await upgrade_async(NOTES_MIGRATIONS, postgres_dsn)
    assert current_revision(postgres_dsn) == "0002"
    counts: dict[tuple[str, str], int] = {}
    async with await psycopg.AsyncConnection.connect(postgres_dsn) as connection:
        for tenant in ("acme", "globex"):
            async with connection.transaction():
                await connection.execute(
                    "SELECT set_config('agora.tenant_id', %s, true)", (tenant,)
                )
                cursor = await connection.execute("SELECT author_id, notes FROM authors")
                counts.update({(tenant, a): n for a, n in await cursor.fetchall()})
            # The notes themselves are untouched.
            async with connection.transaction():
                await connection.execute(
                    "SELECT set_config('agora.tenant_id', %s, true)", (tenant,)
                )
                cursor = await connection.execute("SELECT count(*) FROM notes")
                assert await cursor.fetchone() == ((4,) if tenant == "acme" else (2,))
    assert counts == {("acme", "ana"): 3, ("acme", "bob"): 1, ("globex", "ana"): 2}
    # The new table has its wall too.
    async with await psycopg.AsyncConnection.connect(postgres_dsn) as connection:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            await connection.execute("SELECT count(*) FROM authors")


TESTS_DIR = Path(__file__).resolve().parents[1]
_MIGRATE = (
    "import sys; from core_grpc.notes_store import NOTES_MIGRATIONS; "
    "from agora_core.postgres.migrations import upgrade; upgrade(NOTES_MIGRATIONS, sys.argv[1])"
)


async def test_concurrent_and_repeated_upgrades_are_safe(postgres_dsn: str) -> None:
    """Three processes at once (replicas starting together, a Job beside them)."""
    env = {**os.environ, "PYTHONPATH": str(TESTS_DIR)}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", _MIGRATE, postgres_dsn, env=env, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(3)
    ]
    results = [await p.communicate() for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], results
    await upgrade_async(NOTES_MIGRATIONS, postgres_dsn)
    await upgrade_async(NOTES_MIGRATIONS, postgres_dsn)
    assert current_revision(postgres_dsn) == "0002"
