"""The storage port use cases depend on: one collection seen from one tenant.

:class:`agora_core.storage.TenantRepository` implements it over MongoDB; unit tests of
a service layer use :class:`agora_core.testing.in_memory_store.InMemoryDocuments`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from agora_core.storage.mongo import Document


class DocumentStore(Protocol):
    """One collection of one tenant (the ``TenantRepository`` surface)."""

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

    async def distinct(self, field: str, query: Mapping[str, Any] | None = None) -> list[Any]: ...

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
