"""The ``request_ids`` table: idempotent creates on PostgreSQL (see agora_core.idempotency).

One row per (tenant, method, request id), written in the transaction of the create it
records; a transaction-scoped advisory lock on the key makes a concurrent repeat wait
for the first call's commit, then find its row.
"""

from __future__ import annotations

from typing import Any, Final

from psycopg import AsyncConnection

from agora_core.idempotency import CreateRequest, reused
from agora_core.postgres.schema import tenant_isolation_statements

REQUEST_IDS_TABLE: Final = "request_ids"

_CREATE_TABLE: Final = """
CREATE TABLE request_ids (
    tenant_id text NOT NULL,
    method text NOT NULL,
    request_id text NOT NULL,
    fingerprint text NOT NULL,
    resource_id text NOT NULL,
    create_time timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, method, request_id)
)
"""


def request_ids_schema_statements() -> list[str]:
    """The table with row-level security (run them in a service's migration)."""
    return [_CREATE_TABLE, *tenant_isolation_statements(REQUEST_IDS_TABLE)]


class PostgresRequestIds:
    """:class:`agora_core.idempotency.RequestIds` on one transaction of one tenant."""

    def __init__(self, connection: AsyncConnection[Any], tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id

    async def created_by(self, request: CreateRequest) -> str | None:
        key = f"{self._tenant}\x1f{request.method}\x1f{request.request_id}"
        await self._connection.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,)
        )
        cursor = await self._connection.execute(
            "SELECT fingerprint, resource_id FROM request_ids"
            " WHERE tenant_id = %s AND method = %s AND request_id = %s",
            (self._tenant, request.method, request.request_id),
        )
        row = await cursor.fetchone()
        if row is None:
            return None
        fingerprint, resource_id = str(row[0]), str(row[1])
        if fingerprint != request.fingerprint:
            raise reused(request)
        return resource_id

    async def remember(self, request: CreateRequest, resource_id: str) -> None:
        await self._connection.execute(
            "INSERT INTO request_ids (tenant_id, method, request_id, fingerprint, resource_id)"
            " VALUES (%s, %s, %s, %s, %s)",
            (self._tenant, request.method, request.request_id, request.fingerprint, resource_id),
        )
