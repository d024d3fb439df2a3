"""``agora-<service> migrate`` on the real server: every service's database gets the
shared tables and ends at the service's head revision; a second run is a no-op; a wrong
password fails with one clear line that never shows the password."""

from __future__ import annotations

import asyncio
import importlib
import os
import sys

import psycopg
import pytest
from alembic.script import ScriptDirectory

pytestmark = pytest.mark.integration

SERVICES = ("catalog", "community", "gamification", "notifications")


async def _migrate(service: str, dsn: str) -> tuple[int, str]:
    prefix = f"AGORA_{service.upper()}_"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AGORA_")},
        f"{prefix}POSTGRES_DSN": dsn,
        f"{prefix}DEV_MODE": "true",
        f"{prefix}JWT_HS256_SECRET": "a-test-secret-that-is-long-enough-for-hs256",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        f"agora_{service}",
        "migrate",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode()


@pytest.mark.parametrize("service", SERVICES)
async def test_migrate_creates_the_shared_tables_once(service: str, postgres_dsn: str) -> None:
    code, log = await _migrate(service, postgres_dsn)
    assert code == 0, log
    assert '"event": "schema at head"' in log, log
    async with await psycopg.AsyncConnection.connect(postgres_dsn) as connection:
        cursor = await connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        tables = [row[0] for row in await cursor.fetchall()]
        cursor = await connection.execute("SELECT version_num FROM alembic_version")
        assert await cursor.fetchone() == (_head(service),)
    assert {"outbox", "processed_events", "alembic_version"} <= set(tables)
    again, log = await _migrate(service, postgres_dsn)
    assert again == 0, log


def _head(service: str) -> str:
    """The newest revision of the service's own migrations."""
    migrations = importlib.import_module(f"agora_{service}.migrations").MIGRATIONS
    head = ScriptDirectory.from_config(migrations.config("postgresql://unused")).get_current_head()
    assert head is not None
    return str(head)


async def test_a_refused_login_fails_with_one_line_and_no_password(postgres_dsn: str) -> None:
    wrong = postgres_dsn.replace("agora-test-role", "not-the-password-123")
    assert wrong != postgres_dsn
    code, log = await _migrate("catalog", wrong)
    assert code == 1, log
    assert '"event": "migration failed"' in log, log
    assert "password authentication failed" in log, log
    assert "not-the-password-123" not in log
    assert "Traceback" not in log
