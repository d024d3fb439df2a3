"""Tenant-scoped access to every community collection, plus the relay wake-up."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from pymongo.asynchronous.database import AsyncDatabase

from agora_community.adapters import collections as names
from agora_core.outbox import OutboxHint, OutboxNotifier
from agora_core.storage import Document, DocumentStore, TenantRepository


class CommunityStore:
    """The collections of one tenant; code using it cannot reach another tenant."""

    def __init__(
        self, database: AsyncDatabase[Document], tenant_id: str, notify: OutboxNotifier
    ) -> None:
        self.tenant_id = tenant_id
        self.spaces = TenantRepository(database[names.SPACES], tenant_id)
        self.memberships = TenantRepository(database[names.MEMBERSHIPS], tenant_id)
        self.targets = TenantRepository(database[names.TARGETS], tenant_id)
        self.comments = TenantRepository(database[names.COMMENTS], tenant_id)
        self.likes = TenantRepository(database[names.LIKES], tenant_id)
        self.popularity = TenantRepository(database[names.POPULARITY], tenant_id)
        self.participants = TenantRepository(database[names.PARTICIPANTS], tenant_id)
        self.questions = TenantRepository(database[names.QUESTIONS], tenant_id)
        self.answers = TenantRepository(database[names.ANSWERS], tenant_id)
        self.experts = TenantRepository(database[names.EXPERTS], tenant_id)
        self.reports = TenantRepository(database[names.REPORTS], tenant_id)
        self.rate_windows = TenantRepository(database[names.RATE_WINDOWS], tenant_id)
        self._notify = notify

    def key(self, *parts: str) -> str:
        """A document ``_id`` for a natural key inside this tenant."""
        return ":".join((self.tenant_id, *parts))

    def events_written(self, repository: DocumentStore, doc_id: Hashable) -> None:
        """Wake the outbox relay after a write that appended events to ``doc_id`` of
        ``repository``: the relay claims that document by ``_id`` (no collection scan)."""
        if isinstance(repository, TenantRepository):
            self._notify(OutboxHint(repository.collection.name, doc_id))
        else:  # not one of ours: the relay's scan finds the document
            self._notify()


StoreFactory = Callable[[str], CommunityStore]
