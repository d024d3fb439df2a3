"""What the use cases need from storage: tenant-scoped document collections.

``agora_core.storage.TenantRepository`` (wrapped by ``adapters.repository.CommunityStore``)
provides them over MongoDB; the unit tests provide them in memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

Document = dict[str, Any]


class Documents(Protocol):
    """One collection of one tenant (filters never name the tenant: it is implied)."""

    async def insert_one(self, document: Mapping[str, Any]) -> Any: ...

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


class Store(Protocol):
    """Every collection of one tenant, plus the outbox relay's wake-up."""

    @property
    def tenant_id(self) -> str: ...

    @property
    def spaces(self) -> Documents: ...

    @property
    def memberships(self) -> Documents: ...

    @property
    def targets(self) -> Documents: ...

    @property
    def comments(self) -> Documents: ...

    @property
    def likes(self) -> Documents: ...

    @property
    def popularity(self) -> Documents: ...

    @property
    def participants(self) -> Documents: ...

    @property
    def questions(self) -> Documents: ...

    @property
    def answers(self) -> Documents: ...

    @property
    def experts(self) -> Documents: ...

    @property
    def reports(self) -> Documents: ...

    @property
    def rate_windows(self) -> Documents: ...

    def key(self, *parts: str) -> str:
        """A document ``_id`` for a natural key inside this tenant."""
        ...

    def events_written(self) -> None:
        """Wake the outbox relay after a write that appended events."""
        ...
