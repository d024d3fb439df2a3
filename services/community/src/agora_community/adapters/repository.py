"""Tenant-scoped access to every community collection, plus the relay wake-up."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from agora_community.adapters import collections as names
from agora_core.storage import Document, TenantRepository


class IdFirstRepository(TenantRepository):
    """A tenant repository whose point reads by ``_id`` send the bare ``_id``.

    FerretDB 1.x serves only a filter that is exactly ``{_id: value}`` from an index;
    with ``tenant_id`` added it scans the collection. The tenant is then checked on the
    document read, so another tenant's document is still never returned. (On MongoDB
    both forms use the ``_id`` index.)
    """

    async def find_one(self, query: Mapping[str, Any] | None = None) -> Document | None:
        if query and set(query) == {"_id"} and not isinstance(query["_id"], Mapping):
            document = await self.collection.find_one({"_id": query["_id"]})
            if document is None or document.get("tenant_id") != self.tenant_id:
                return None
            return document
        return await super().find_one(query)


class CommunityStore:
    """The collections of one tenant; code using it cannot reach another tenant."""

    def __init__(
        self, database: AsyncDatabase[Document], tenant_id: str, notify: Callable[[], None]
    ) -> None:
        self.tenant_id = tenant_id
        self.spaces = IdFirstRepository(database[names.SPACES], tenant_id)
        self.memberships = IdFirstRepository(database[names.MEMBERSHIPS], tenant_id)
        self.targets = IdFirstRepository(database[names.TARGETS], tenant_id)
        self.comments = IdFirstRepository(database[names.COMMENTS], tenant_id)
        self.likes = IdFirstRepository(database[names.LIKES], tenant_id)
        self.popularity = IdFirstRepository(database[names.POPULARITY], tenant_id)
        self.participants = IdFirstRepository(database[names.PARTICIPANTS], tenant_id)
        self.questions = IdFirstRepository(database[names.QUESTIONS], tenant_id)
        self.answers = IdFirstRepository(database[names.ANSWERS], tenant_id)
        self.experts = IdFirstRepository(database[names.EXPERTS], tenant_id)
        self.reports = IdFirstRepository(database[names.REPORTS], tenant_id)
        self.rate_windows = IdFirstRepository(database[names.RATE_WINDOWS], tenant_id)
        self._notify = notify

    def key(self, *parts: str) -> str:
        """A document ``_id`` for a natural key inside this tenant."""
        return ":".join((self.tenant_id, *parts))

    def events_written(self) -> None:
        """Wake the outbox relay after a write that appended events."""
        self._notify()


StoreFactory = Callable[[str], CommunityStore]
