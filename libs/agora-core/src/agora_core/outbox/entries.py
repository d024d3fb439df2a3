"""Writing outbox entries into an aggregate's own update."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from agora_core.messaging.events import OutgoingEvent
from agora_core.storage import IndexSpec

OUTBOX_FIELD = "outbox"
LEASE_FIELD = "outbox_lease_until"
OWNER_FIELD = "outbox_lease_owner"


def with_outbox(update: Mapping[str, Any], events: Sequence[OutgoingEvent]) -> dict[str, Any]:
    """Return ``update`` extended to append ``events`` to the document's outbox.

    Use it for every state change that emits events, so both land in one write.
    """
    combined = {op: dict(fields) for op, fields in update.items()}
    if events:
        push = combined.setdefault("$push", {})
        if OUTBOX_FIELD in push:
            raise ValueError("the update already pushes to the outbox")
        push[OUTBOX_FIELD] = {"$each": [event.to_document() for event in events]}
    return combined


def outbox_index() -> IndexSpec:
    """Index letting the relay find documents with pending entries without a scan.

    Not tenant-led on purpose: the relay works across tenants.
    """
    return IndexSpec(keys=((f"{OUTBOX_FIELD}.id", 1),), name="outbox_pending", tenant_scoped=False)
