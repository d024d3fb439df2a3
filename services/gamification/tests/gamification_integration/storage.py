"""Reads of the service's PostgreSQL tables for assertions (as the tenant sees them)."""

from __future__ import annotations

import json
from typing import Any, LiteralString

from psycopg import sql

from agora_core.postgres import Database
from agora_core.privacy.scrub import mentions_person
from agora_core.runtime import ServiceRuntime


def database_of(service: ServiceRuntime | Database) -> Database:
    return service if isinstance(service, Database) else service.require_postgres()


async def rows(
    service: ServiceRuntime | Database,
    tenant: str,
    query: LiteralString | sql.Composed,
    params: tuple[Any, ...] = (),
) -> list[tuple[Any, ...]]:
    """``query``'s rows (none for a write) in a transaction scoped to ``tenant``
    (row-level security)."""
    async with database_of(service).unit_of_work(tenant) as uow:
        cursor = await uow.connection.execute(query, params)
        return await cursor.fetchall() if cursor.description is not None else []


async def ledger_sum(service: ServiceRuntime | Database, tenant: str, learner: str) -> int:
    found = await rows(
        service,
        tenant,
        "SELECT coalesce(sum(points), 0) FROM ledger WHERE tenant_id = %s AND learner_id = %s",
        (tenant, learner),
    )
    return int(found[0][0])


async def tables(service: ServiceRuntime | Database) -> list[str]:
    """The service's tables."""
    async with database_of(service).unit_of_work() as uow:
        cursor = await uow.connection.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
        return [str(row[0]) for row in await cursor.fetchall()]


async def tenant_rows(
    service: ServiceRuntime | Database, tenant: str, *, skip: frozenset[str] = frozenset()
) -> dict[str, list[dict[str, Any]]]:
    """Every row of ``tenant`` in every table (as JSON objects), sorted per table."""
    found: dict[str, list[dict[str, Any]]] = {}
    for table in await tables(service):
        if table in skip:
            continue
        listed = await rows(
            service,
            tenant,
            sql.SQL("SELECT row_to_json(t) FROM {} t").format(sql.Identifier(table)),
        )
        found[table] = sorted(
            (r[0] for r in listed if r[0].get("tenant_id", tenant) == tenant),
            key=lambda r: json.dumps(r, sort_keys=True),
        )
    return found


async def traces_of(service: ServiceRuntime | Database, person: str, tenant: str) -> list[str]:
    """Where ``person``'s id occurs, as a token, in any row the tenant can read."""
    traces = []
    for table, listed in (await tenant_rows(service, tenant)).items():
        for row in listed:
            for column, value in row.items():
                if any(mentions_person(text, person) for text in _texts(value)):
                    traces.append(f"{table}.{column} = {str(value)[:120]}")
    return traces


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (str(k), *_texts(v))]
    if isinstance(value, list):
        return [t for item in value for t in _texts(item)]
    return []
