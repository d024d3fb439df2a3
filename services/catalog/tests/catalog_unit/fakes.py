"""In-memory fakes of the catalog's own ports (no I/O): tenant-bound document stores
from agora-core's in-memory store, handed out by collection name like the real ones."""

from __future__ import annotations

from typing import Any

from agora_core.storage import Document
from agora_core.testing.in_memory_store import InMemoryDocuments


class FakeStores:
    """Collections by name; every store is bound to a tenant like the real ones."""

    def __init__(self) -> None:
        self.collections: dict[str, dict[Any, Document]] = {}

    def repo(self, collection: str, tenant_id: str) -> InMemoryDocuments:
        return InMemoryDocuments(self.collections.setdefault(collection, {}), tenant_id)

    def all(self, collection: str) -> list[Document]:
        return list(self.collections.get(collection, {}).values())
