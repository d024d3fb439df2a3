"""A repository bound to one tenant: every query and write carries ``tenant_id``.

The tenant is fixed at construction, filters are rewritten to include it, and a
filter or document naming another tenant is refused, so a handler cannot forget
the tenant or reach across it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from agora_core.storage.mongo import Document


class TenantViolation(Exception):
    """Code tried to read or write outside the repository's tenant (a bug)."""


def require_tenant(tenant_id: str) -> str:
    if not isinstance(tenant_id, str) or not tenant_id.strip():
        raise TenantViolation("a tenant id is required")
    return tenant_id


class TenantRepository:
    """Tenant-scoped access to one collection."""

    def __init__(self, collection: AsyncCollection[Document], tenant_id: str) -> None:
        self.collection = collection
        self.tenant_id = require_tenant(tenant_id)

    def scoped(self, query: Mapping[str, Any] | None = None) -> Document:
        """The filter with this tenant added; a filter naming another tenant is a bug."""
        query = dict(query or {})
        if "tenant_id" in query and query["tenant_id"] != self.tenant_id:
            raise TenantViolation("filter names another tenant")
        query["tenant_id"] = self.tenant_id
        return query

    def _stamped(self, document: Mapping[str, Any]) -> Document:
        if document.get("tenant_id", self.tenant_id) != self.tenant_id:
            raise TenantViolation("document belongs to another tenant")
        return {**document, "tenant_id": self.tenant_id}

    def _checked_update(self, update: Mapping[str, Any]) -> Document:
        for operator in ("$set", "$setOnInsert", "$unset", "$rename"):
            if "tenant_id" in update.get(operator, {}) and operator != "$setOnInsert":
                raise TenantViolation("an update may not change tenant_id")
        return dict(update)

    async def insert_one(self, document: Mapping[str, Any]) -> Any:
        result = await self.collection.insert_one(self._stamped(document))
        return result.inserted_id

    async def insert_many(self, documents: Sequence[Mapping[str, Any]]) -> list[Any]:
        result = await self.collection.insert_many(
            [self._stamped(d) for d in documents], ordered=False
        )
        return list(result.inserted_ids)

    async def find_one(self, query: Mapping[str, Any] | None = None) -> Document | None:
        return await self.collection.find_one(self.scoped(query))

    async def find(
        self,
        query: Mapping[str, Any] | None = None,
        *,
        sort: Sequence[tuple[str, int]] | None = None,
        limit: int = 0,
        skip: int = 0,
        projection: Mapping[str, Any] | None = None,
    ) -> list[Document]:
        cursor = self.collection.find(self.scoped(query), projection=projection)
        if sort:
            cursor = cursor.sort(list(sort))
        if skip:
            cursor = cursor.skip(skip)
        if limit:
            cursor = cursor.limit(limit)
        return await cursor.to_list()

    async def count(self, query: Mapping[str, Any] | None = None) -> int:
        return await self.collection.count_documents(self.scoped(query))

    async def distinct(self, field: str, query: Mapping[str, Any] | None = None) -> list[Any]:
        return list(await self.collection.distinct(field, self.scoped(query)))

    async def update_one(
        self, query: Mapping[str, Any], update: Mapping[str, Any], *, upsert: bool = False
    ) -> bool:
        """Apply ``update`` to one matching document; True when one matched (or upserted)."""
        result = await self.collection.update_one(
            self.scoped(query), self._checked_update(update), upsert=upsert
        )
        return result.matched_count > 0 or result.upserted_id is not None

    async def find_one_and_update(
        self,
        query: Mapping[str, Any],
        update: Mapping[str, Any],
        *,
        upsert: bool = False,
        return_after: bool = True,
    ) -> Document | None:
        return await self.collection.find_one_and_update(
            self.scoped(query),
            self._checked_update(update),
            upsert=upsert,
            return_document=ReturnDocument.AFTER if return_after else ReturnDocument.BEFORE,
        )

    async def delete_one(self, query: Mapping[str, Any]) -> bool:
        result = await self.collection.delete_one(self.scoped(query))
        return result.deleted_count > 0
