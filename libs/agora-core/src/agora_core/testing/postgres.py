"""Throwaway PostgreSQL databases for tests, on the real server.

Each test gets its own database, owned by an ordinary login role (never a superuser:
superusers bypass row-level security, and the tests must see the policies bite).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Final

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


async def create_test_database(
    admin_dsn: str, prefix: str = "t", *, name: str | None = None
) -> tuple[str, str]:
    """A new database owned by the test role, with the services' extensions, named
    ``name`` or ``prefix`` and a random suffix.

    Returns (database name, DSN of the test role on it).
    """
    name = name or f"{prefix}_{uuid.uuid4().hex[:12]}"
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


async def query_plan(
    database: Database, query: str, params: Sequence[Any] = (), *, tenant_id: str | None = None
) -> dict[str, Any]:
    """The planner's plan for ``query`` (``EXPLAIN (FORMAT JSON)``, not run), as the
    tenant sees it.

    Sequential scans, bitmap scans and sorts are discouraged for the statement so the
    plan shows whether an index *can* serve it, order included: on a small test table
    the planner would rightly prefer a scan and a sort, and the question a test asks is
    whether the index the list view needs exists.
    """
    async with database.unit_of_work(tenant_id) as uow:
        for method in ("seqscan", "bitmapscan", "sort"):
            await uow.connection.execute(f"SET LOCAL enable_{method} = off")
        cursor = await uow.connection.execute(
            sql.SQL("EXPLAIN (FORMAT JSON) {}").format(sql.SQL(query)), params
        )
        row = await cursor.fetchone()
    assert row is not None
    plan: dict[str, Any] = row[0][0]["Plan"]
    return plan


def assert_index_serves(
    plan: dict[str, Any], index: str, *, filtered: bool = False, sorted_after: bool = False
) -> None:
    """Fail, showing the plan, unless ``index`` is searched with a condition and serves
    the query alone.

    By default the index node may not throw rows away (a ``Filter``: the index narrows to
    the tenant, then every row of the tenant is read) and no ``Sort`` may follow it (the
    index does not give the list's order); ``filtered`` and ``sorted_after`` allow each
    where the test means it. No table may be read whole.
    """
    nodes = list(_plan_nodes(plan))
    shown = json.dumps(plan, indent=1)
    scanned = [n["Relation Name"] for n in nodes if n["Node Type"] == "Seq Scan"]
    assert not scanned, f"the query scans whole tables {scanned}:\n{shown}"
    searched = [n for n in nodes if n.get("Index Name") == index and "Index Cond" in n]
    assert searched, f"index {index!r} is not searched by the query:\n{shown}"
    if not filtered:
        assert all("Filter" not in n for n in searched), f"rows read then dropped:\n{shown}"
    if not sorted_after:
        assert all(n["Node Type"] != "Sort" for n in nodes), f"sorted after reading:\n{shown}"


def _plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


@asynccontextmanager
async def scratch_database(admin_dsn: str, prefix: str = "t") -> AsyncIterator[str]:
    """A database of its own for a block (a service of a system test): yields the test
    role's DSN on it, drops it afterwards."""
    await ensure_test_role(admin_dsn)
    name, dsn = await create_test_database(admin_dsn, prefix)
    try:
        yield dsn
    finally:
        await drop_test_database(admin_dsn, name)
