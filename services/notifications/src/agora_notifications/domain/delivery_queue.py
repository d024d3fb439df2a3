"""The queue of due deliveries the workers claim across tenants."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class DeliveryClaim:
    """A due delivery a worker leased: the key to read it in its tenant's unit of work,
    and the lease token that proves the claim is still this worker's when it records
    the attempt."""

    tenant_id: str
    delivery_id: str
    lease_owner: uuid.UUID
