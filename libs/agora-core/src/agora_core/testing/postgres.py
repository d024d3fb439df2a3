"""Throwaway PostgreSQL databases for tests, on the real server.

Each test gets its own database, owned by an ordinary login role (never a superuser:
superusers bypass row-level security, and the tests must see the policies bite).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from agora_core.postgres import Database, create_pool
from agora_core.postgres.migrations import Migrations, upgrade_async

TEST_ROLE: Final = "agora_test"
TEST_ROLE_PASSWORD: Final = "agora-test-role"  # noqa: S105 - loopback test server only
EXTENSIONS: Final = ("unaccent", "pg_trgm")


def dsn_for(admin_dsn: str, *, user: str, password: str, dbname: str) -> str:
    """The admin DSN's host and port with another login and database."""
    params = conninfo_to_dict(admin_dsn)
    params.update(user=user, password=password, dbname=dbname)
    return make_conninfo(**{k: str(v) for k, v in params.items() if v is not None})


async def ensure_test_role(admin_dsn: str) -> None:
    """Create the tests' login role once (idempotent; NOSUPERUSER, NOBYPASSRLS)."""
    async with await psycopg.AsyncConnection.connect(admin_dsn, autocommit=True) as admin:
        cursor = await admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (TEST_ROLE,))
        if await cursor.fetchone() is None:
            await admin.execute(
                sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD {}").format(
                    sql.Identifier(TEST_ROLE), sql.Literal(TEST_ROLE_PASSWORD)
                )
            )


async def create_test_database(admin_dsn: str, prefix: str = "t") -> tuple[str, str]:
    """A new database owned by the test role, with the services' extensions.

    Returns (database name, DSN of the test role on it).
    """
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    async with await psycopg.AsyncConnection.connect(admin_dsn, autocommit=True) as admin:
        await admin.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(TEST_ROLE)
            )
        )
    database_admin = dsn_for_database(admin_dsn, name)
    async with await psycopg.AsyncConnection.connect(database_admin, autocommit=True) as admin:
        for extension in EXTENSIONS:
            await admin.execute(
                sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(extension))
            )
        await admin.execute(
            sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(TEST_ROLE))
        )
    return name, dsn_for(admin_dsn, user=TEST_ROLE, password=TEST_ROLE_PASSWORD, dbname=name)


def dsn_for_database(admin_dsn: str, dbname: str) -> str:
    """The admin login on another database."""
    params = conninfo_to_dict(admin_dsn)
    params["dbname"] = dbname
    return make_conninfo(**{k: str(v) for k, v in params.items() if v is not None})


async def drop_test_database(admin_dsn: str, name: str) -> None:
    """Drop a test database, disconnecting whoever is still on it."""
    async with await psycopg.AsyncConnection.connect(admin_dsn, autocommit=True) as admin:
        await admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@asynccontextmanager
async def migrated_database(
    dsn: str, migrations: Migrations, *, max_size: int = 8
) -> AsyncIterator[Database]:
    """``dsn``'s database at ``migrations``' head, with an open pool (closed after)."""
    await upgrade_async(migrations, dsn)
    pool = create_pool(dsn, application_name="agora-tests", max_size=max_size)
    await pool.open()
    try:
        yield Database(pool)
    finally:
        await pool.close()
