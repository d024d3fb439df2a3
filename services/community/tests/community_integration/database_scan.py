"""Reading the service's PostgreSQL database in erasure tests: every row of a tenant,
and every value in it that names a person."""

from __future__ import annotations

from typing import Any, Final

from agora_core.postgres import Database
from agora_core.privacy import mentions_person
from agora_core.privacy.postgres import RUNTIME_TABLES

_TENANT_TABLES: Final = """
SELECT c.table_name FROM information_schema.columns c
JOIN information_schema.tables t USING (table_schema, table_name)
WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE'
ORDER BY c.table_name
"""


async def tenant_tables(database: Database) -> list[str]:
    """The service's tables that hold tenant rows (the runtime's own left out)."""
    async with database.unit_of_work() as uow:
        cursor = await uow.connection.execute(_TENANT_TABLES)
        names = [row[0] for row in await cursor.fetchall()]
    return [name for name in names if name not in RUNTIME_TABLES]


async def tenant_rows(database: Database, tenant: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tenant in the service's tables, sorted, per table."""
    snapshot: dict[str, list[tuple[Any, ...]]] = {}
    for table in await tenant_tables(database):
        async with database.unit_of_work(tenant) as uow:
            cursor = await uow.connection.execute(
                f"SELECT * FROM {table} WHERE tenant_id = %s",  # noqa: S608 - catalog names
                (tenant,),
            )
            snapshot[table] = sorted(await cursor.fetchall(), key=repr)
    return snapshot


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    return []


async def traces_of(database: Database, person: str, tenant: str) -> list[tuple[str, str]]:
    """(table, value) of every stored string of the tenant naming ``person``."""
    found: list[tuple[str, str]] = []
    for table, rows in (await tenant_rows(database, tenant)).items():
        for row in rows:
            found.extend(
                (table, text) for text in _strings(list(row)) if mentions_person(text, person)
            )
    return found
