"""What the use cases need from storage. ``adapters.mongo`` provides it over MongoDB;
unit tests provide an in-memory fake. Every store is bound to one tenant."""

from __future__ import annotations

from typing import Protocol

from agora_core.storage import DocumentStore


class Stores(Protocol):
    """Hands out tenant-bound stores by collection name."""

    def repo(self, collection: str, tenant_id: str) -> DocumentStore: ...
