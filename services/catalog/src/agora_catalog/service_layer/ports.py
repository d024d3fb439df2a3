"""What the use cases need from storage. ``adapters.mongo`` provides it over MongoDB;
unit tests provide an in-memory fake. Every store is bound to one tenant."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from agora_core.storage import Document


class DocumentStore(Protocol):
    """One collection seen from one tenant (a ``TenantRepository``)."""

    async def insert_one(self, document: Mapping[str, Any]) -> Any: ...

    async def insert_many(self, documents: Sequence[Mapping[str, Any]]) -> list[Any]: ...

    async def find_one(self, query: Mapping[str, Any] | None = None) -> Document | None: ...

    async def find(
        self,
        query: Mapping[str, Any] | None = None,
        *,
        sort: Sequence[tuple[str, int]] | None = None,
        limit: int = 0,
        skip: int = 0,
        projection: Mapping[str, Any] | None = None,
    ) -> list[Document]: ...

    async def count(self, query: Mapping[str, Any] | None = None) -> int: ...

    async def distinct(self, field: str, query: Mapping[str, Any]) -> list[Any]: ...

    async def update_one(
        self, query: Mapping[str, Any], update: Mapping[str, Any], *, upsert: bool = False
    ) -> bool: ...

    async def find_one_and_update(
        self,
        query: Mapping[str, Any],
        update: Mapping[str, Any],
        *,
        upsert: bool = False,
        return_after: bool = True,
    ) -> Document | None: ...


class Stores(Protocol):
    """Hands out tenant-bound stores by collection name."""

    def repo(self, collection: str, tenant_id: str) -> DocumentStore: ...
