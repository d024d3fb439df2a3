"""How a tombstone of an erased person names them without holding their id.

A tombstone (a row of ``erased_persons``, :mod:`agora_core.privacy.postgres`) stores a
SHA-256 digest of the tenant and the person id. A service can tell whether an id it
sees in a later event belongs to an erased person (it computes the digest), but the
stored digest names nobody by itself. Where a record must stay linkable to "the same
anonymous person" (the gamification ledger), an erasure uses a random pseudonym that
is recorded nowhere else.
"""

from __future__ import annotations

import hashlib
import uuid


def person_digest(tenant_id: str, person_id: str) -> str:
    """The tombstone id of a person in a tenant (hex SHA-256, never the id itself)."""
    return hashlib.sha256(f"agora-erased\x00{tenant_id}\x00{person_id}".encode()).hexdigest()


def new_pseudonym() -> str:
    """A random id for an erased person's remaining records, recorded nowhere else."""
    return f"erased-{uuid.uuid4().hex}"
