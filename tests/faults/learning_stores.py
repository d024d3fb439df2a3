"""Where a service of the learning rig keeps its processed marks and its outbox:
MongoDB (FerretDB) until the service moves, PostgreSQL after."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pymongo.asynchronous.database import AsyncDatabase

from agora_core.postgres import Database
from agora_core.storage import Document


class RigStore(Protocol):
    marks_commit_with_effects: bool
    """True when a processed mark commits in the transaction of its effects (PostgreSQL):
    an effect can then never have landed without its mark."""

    async def marked(self, group: str, event_ids: Sequence[str]) -> int: ...

    async def pending_outbox(self, tenant: str) -> int: ...

    async def forget_marks(self, tenant: str) -> None: ...


class MongoRigStore:
    marks_commit_with_effects = False

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.database = database

    async def marked(self, group: str, event_ids: Sequence[str]) -> int:
        keys = [f"{group}:{event_id}" for event_id in event_ids]
        return await self.database["processed_events"].count_documents({"_id": {"$in": keys}})

    async def pending_outbox(self, tenant: str) -> int:
        pending = {"tenant_id": tenant, "outbox.id": {"$exists": True}}
        total = 0
        for name in await self.database.list_collection_names():
            total += await self.database[name].count_documents(pending)
        return total

    async def forget_marks(self, tenant: str) -> None:
        await self.database["processed_events"].delete_many({"tenant_id": tenant})


class PostgresRigStore:
    marks_commit_with_effects = True

    def __init__(self, database: Database) -> None:
        self.database = database

    async def _count(self, query: str, params: tuple[object, ...]) -> int:
        async with self.database.unit_of_work() as uow:
            cursor = await uow.connection.execute(query, params)
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def marked(self, group: str, event_ids: Sequence[str]) -> int:
        return await self._count(
            "SELECT count(*) FROM processed_events"
            " WHERE group_id = %s AND event_id = ANY(%s::text[]::uuid[])",
            (group, list(event_ids)),
        )

    async def pending_outbox(self, tenant: str) -> int:
        return await self._count("SELECT count(*) FROM outbox WHERE tenant_id = %s", (tenant,))

    async def forget_marks(self, tenant: str) -> None:
        async with self.database.unit_of_work() as uow:
            await uow.connection.execute(
                "DELETE FROM processed_events WHERE tenant_id = %s", (tenant,)
            )
