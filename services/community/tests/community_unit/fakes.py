"""In-memory fakes of the service layer's storage ports (``service_layer.ports``): one
agora-core in-memory collection per collection of the service."""

from __future__ import annotations

from collections.abc import Hashable

from agora_core.storage import DocumentStore
from agora_core.testing.in_memory_store import InMemoryDocuments


class InMemoryStore:
    """The ``Store`` port in memory, counting relay wake-ups."""

    def __init__(self, tenant_id: str = "acme") -> None:
        self.tenant_id = tenant_id
        self.spaces = InMemoryDocuments()
        self.memberships = InMemoryDocuments()
        self.targets = InMemoryDocuments()
        self.comments = InMemoryDocuments()
        self.likes = InMemoryDocuments()
        self.popularity = InMemoryDocuments()
        self.participants = InMemoryDocuments()
        self.questions = InMemoryDocuments()
        self.answers = InMemoryDocuments()
        self.experts = InMemoryDocuments()
        self.reports = InMemoryDocuments()
        self.rate_windows = InMemoryDocuments()
        self.notified: list[tuple[DocumentStore, Hashable]] = []

    def key(self, *parts: str) -> str:
        return ":".join((self.tenant_id, *parts))

    def events_written(self, repository: DocumentStore, doc_id: Hashable) -> None:
        self.notified.append((repository, doc_id))
