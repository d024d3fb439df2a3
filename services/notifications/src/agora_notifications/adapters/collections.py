"""Collection names and the indexes declared for them.

Indexes that are not tenant-led serve the background workers (delivery worker,
scheduler), which work across tenants like the outbox relay does.
"""

from __future__ import annotations

from typing import Final

from agora_core.storage import IndexSpec

NOTIFICATIONS: Final = "notifications"
DELIVERIES: Final = "deliveries"
PEOPLE: Final = "people"
PREFERENCES: Final = "preferences"
TRACKED: Final = "tracked_work"
CATALOG_ITEMS: Final = "catalog_items"
CATALOG_PATHS: Final = "catalog_paths"

INDEXES: Final[dict[str, list[IndexSpec]]] = {
    NOTIFICATIONS: [
        IndexSpec(keys=(("tenant_id", 1), ("recipient_id", 1), ("created_at", -1), ("_id", -1))),
        IndexSpec(keys=(("tenant_id", 1), ("recipient_id", 1), ("read", 1))),
    ],
    DELIVERIES: [
        IndexSpec(keys=(("state", 1), ("next_attempt_at", 1)), name="due", tenant_scoped=False),
        IndexSpec(keys=(("state", 1), ("digest.send_at", 1)), name="held", tenant_scoped=False),
        IndexSpec(keys=(("tenant_id", 1), ("created_at", -1), ("_id", -1))),
        IndexSpec(keys=(("tenant_id", 1), ("subscription_id", 1), ("created_at", -1))),
    ],
    PEOPLE: [IndexSpec(keys=(("next_nudge_at", 1),), name="nudge_due", tenant_scoped=False)],
    TRACKED: [
        IndexSpec(
            keys=(("completed", 1), ("next_reminder_at", 1)),
            name="reminder_due",
            tenant_scoped=False,
        ),
        IndexSpec(keys=(("tenant_id", 1), ("learner_id", 1), ("kind", 1))),
    ],
    CATALOG_ITEMS: [IndexSpec(keys=(("tenant_id", 1), ("estimated_minutes", 1)))],
    CATALOG_PATHS: [IndexSpec(keys=(("tenant_id", 1), ("_id", 1)))],
}

OUTBOX_COLLECTIONS: Final = (NOTIFICATIONS, DELIVERIES)
