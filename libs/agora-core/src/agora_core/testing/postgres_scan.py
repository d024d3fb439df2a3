"""Reading a service's PostgreSQL database in erasure tests: every row of a tenant,
and every stored value that names a person.

Tables are found in the catalog (every base table with a ``tenant_id`` column), so a
table added later is searched without changing a test; the runtime's own tables
(outbox, processed marks, tombstones) are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from psycopg import sql

from agora_core.postgres import Database
from agora_core.privacy.postgres import RUNTIME_TABLES
from agora_core.privacy.scrub import mentions_person


@dataclass(frozen=True)
class Trace:
    """One place a needle was found: a table, the row's index in
    :func:`tenant_rows`' order, a column, and the value holding the needle."""

    table: str
    row: int
    column: str
    value: str

    def __str__(self) -> str:
        return f"{self.table}[{self.row}].{self.column} = {self.value[:120]!r}"


_TENANT_TABLES: Final = """
SELECT c.table_name FROM information_schema.columns c
JOIN information_schema.tables t USING (table_schema, table_name)
WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE'
ORDER BY c.table_name
"""

Rows = dict[str, list[dict[str, Any]]]


async def tenant_tables(database: Database) -> list[str]:
    """The service's tables holding tenant rows (the runtime's own left out)."""
    async with database.unit_of_work() as uow:
        cursor = await uow.connection.execute(_TENANT_TABLES)
        names = [row[0] for row in await cursor.fetchall()]
    return [name for name in names if name not in RUNTIME_TABLES]


async def tenant_rows(database: Database, tenant_id: str) -> Rows:
    """Every row of the tenant in the service's tables, per table, in a stable order."""
    snapshot: Rows = {}
    for table in await tenant_tables(database):
        async with database.unit_of_work(tenant_id) as uow:
            cursor = await uow.connection.execute(
                sql.SQL("SELECT * FROM {} WHERE tenant_id = %s").format(sql.Identifier(table)),
                (tenant_id,),
            )
            columns = [column.name for column in cursor.description or ()]
            rows = [dict(zip(columns, row, strict=True)) for row in await cursor.fetchall()]
        snapshot[table] = sorted(rows, key=repr)
    return snapshot


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _strings(item)]
    if isinstance(value, dict):
        return [text for k, v in value.items() for text in (*_strings(k), *_strings(v))]
    return []


async def postgres_traces_of(
    database: Database, *, ids: Sequence[str] = (), texts: Sequence[str] = (), tenant_id: str
) -> list[Trace]:
    """Every stored string of the tenant holding one of ``ids`` (as a token) or
    ``texts`` (case-insensitive substring)."""
    lowered = [text.lower() for text in texts]
    found: list[Trace] = []
    for table, rows in (await tenant_rows(database, tenant_id)).items():
        for index, row in enumerate(rows):
            for column, value in row.items():
                for text in _strings(value):
                    if any(mentions_person(text, needle) for needle in ids) or any(
                        needle in text.lower() for needle in lowered
                    ):
                        found.append(Trace(table, index, column, text))
    return found
