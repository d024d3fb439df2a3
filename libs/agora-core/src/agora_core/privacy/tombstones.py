"""Tombstones of erased persons: one document per (tenant, person), holding no id.

The ``_id`` is a SHA-256 digest of the tenant and the person id. A service can tell
whether an id it sees in a later event belongs to an erased person (it computes the
digest), but the stored digest names nobody by itself. While an erasure runs, the
tombstone also holds the random pseudonym the service uses where a record must stay
linkable to "the same anonymous person" (the gamification ledger); the pseudonym is
removed when the erasure completes, so nothing links it back to the digest.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Final

from pymongo.asynchronous.database import AsyncDatabase

from agora_core.storage import Document, TenantRepository

ERASED_PERSONS: Final = "erased_persons"
"""Collection of tombstones (``_id`` lookups only, so it needs no extra index)."""


def person_digest(tenant_id: str, person_id: str) -> str:
    """The tombstone id of a person in a tenant (hex SHA-256, never the id itself)."""
    return hashlib.sha256(f"agora-erased\x00{tenant_id}\x00{person_id}".encode()).hexdigest()


def new_pseudonym() -> str:
    """A random id for an erased person's remaining records, recorded nowhere else."""
    return f"erased-{uuid.uuid4().hex}"


class ErasedPersons:
    """The service's tombstones of erased persons, per tenant."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._collection = database[ERASED_PERSONS]

    def _repo(self, tenant_id: str) -> TenantRepository:
        return TenantRepository(self._collection, tenant_id)

    async def begin(self, tenant_id: str, person_id: str) -> str:
        """Record the erasure (from now on, events about the person are dropped) and
        return the pseudonym this erasure uses.

        A redelivered erasure that did not complete gets the same pseudonym back, so a
        crash half-way never splits the person's records over two pseudonyms; once
        complete, the pseudonym is gone and a new random one is returned (nothing is
        left for it to replace).
        """
        pseudonym = new_pseudonym()
        doc = await self._repo(tenant_id).find_one_and_update(
            {"_id": person_digest(tenant_id, person_id)},
            {
                "$setOnInsert": {
                    "state": "erasing",
                    "pseudonym": pseudonym,
                    "erased_at": datetime.now(UTC),
                }
            },
            upsert=True,
        )
        stored = (doc or {}).get("pseudonym")
        return stored if isinstance(stored, str) else pseudonym

    async def complete(self, tenant_id: str, person_id: str) -> None:
        """The erasure finished: forget the pseudonym, keep the tombstone."""
        await self._repo(tenant_id).update_one(
            {"_id": person_digest(tenant_id, person_id)},
            {
                "$set": {"state": "erased", "completed_at": datetime.now(UTC)},
                "$unset": {"pseudonym": ""},
            },
        )

    async def is_erased(self, tenant_id: str, person_id: str) -> bool:
        """True when the person was erased in the tenant."""
        return await self.any_erased(tenant_id, [person_id])

    async def any_erased(self, tenant_id: str, values: Iterable[str]) -> bool:
        """True when any of ``values`` is the id of a person erased in the tenant."""
        digests = sorted({person_digest(tenant_id, value) for value in values if value})
        if not digests:
            return False
        if len(digests) == 1:
            found = await self._repo(tenant_id).find_one({"_id": digests[0]})
        else:
            found = await self._repo(tenant_id).find_one({"_id": {"$in": digests}})
        return found is not None
