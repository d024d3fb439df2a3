"""Each service's PostgreSQL database as the erasure system test reads it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from agora_core.postgres import Database
from agora_core.privacy import person_digest
from agora_core.testing.postgres_scan import Trace, postgres_traces_of


class ServiceStore(Protocol):
    async def traces(
        self, *, ids: Sequence[str], texts: Sequence[str] = (), tenant_id: str
    ) -> list[Trace]: ...

    async def erased(self, tenant_id: str, person_id: str) -> bool:
        """The person's erasure completed in the tenant."""
        ...

    async def drained(self) -> bool:
        """No event is waiting in the service's outbox."""
        ...


class PostgresStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    async def traces(
        self, *, ids: Sequence[str], texts: Sequence[str] = (), tenant_id: str
    ) -> list[Trace]:
        return await postgres_traces_of(self.database, ids=ids, texts=texts, tenant_id=tenant_id)

    async def erased(self, tenant_id: str, person_id: str) -> bool:
        async with self.database.unit_of_work(tenant_id) as uow:
            cursor = await uow.connection.execute(
                "SELECT 1 FROM erased_persons WHERE tenant_id = %s AND digest = %s",
                (tenant_id, person_digest(tenant_id, person_id)),
            )
            return await cursor.fetchone() is not None

    async def drained(self) -> bool:
        async with self.database.unit_of_work() as uow:
            cursor = await uow.connection.execute("SELECT count(*) FROM outbox")
            row = await cursor.fetchone()
        return row is not None and row[0] == 0
