"""What the use cases need from storage: tenant-scoped document collections.

``agora_core.storage.TenantRepository`` (wrapped by ``adapters.repository.CommunityStore``)
provides them over MongoDB; the unit tests provide them in memory.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Protocol

from agora_core.storage import DocumentStore

Documents = DocumentStore
"""One collection of this tenant (agora-core's storage port)."""


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

    def events_written(self, repository: Documents, doc_id: Hashable) -> None:
        """Wake the outbox relay after a write that appended events to the document
        ``doc_id`` of ``repository`` (one of this store's collections)."""
        ...
