"""Popularity counters on items and paths, fed by community events.

Each counter change is one conditional update that also records the event id on the
document (``popularity_applied``), so a redelivered event matches nothing and changes
nothing even if the consumer's processed-id record was lost. The event's tenant
scopes the lookup: an event from another tenant never finds this tenant's items.
"""

from __future__ import annotations

from typing import Final

from agora_catalog.adapters.mongo import ITEMS, PATHS
from agora_catalog.service_layer.ports import Stores
from agora_core.storage import DocumentStore

_COLLECTIONS: Final = {"knowledge": ITEMS, "path": PATHS}
LIKE_WEIGHT: Final = 1
COMMENT_WEIGHT: Final = 2
"""A comment is more engagement than a like; popularity = likes + 2 x comments."""


class Popularity:
    def __init__(self, db: Stores) -> None:
        self._db = db

    def _target(self, tenant: str, target_type: str) -> DocumentStore | None:
        collection = _COLLECTIONS.get(target_type)
        return None if collection is None else self._db.repo(collection, tenant)

    async def apply(
        self,
        tenant: str,
        target_type: str,
        target_id: str,
        event_id: str,
        *,
        likes: int,
        comments: int,
    ) -> bool:
        """Add ``likes``/``comments`` (may be negative) once per event; True if applied."""
        repo = self._target(tenant, target_type)
        if repo is None:
            return False  # likes of questions, answers... are not the catalog's
        query: dict[str, object] = {"_id": target_id, "popularity_applied": {"$ne": event_id}}
        if likes < 0:
            query["like_count"] = {"$gte": -likes}  # never below zero
        return await repo.update_one(
            query,
            {
                "$inc": {
                    "like_count": likes,
                    "comment_count": comments,
                    "popularity": likes * LIKE_WEIGHT + comments * COMMENT_WEIGHT,
                },
                "$push": {"popularity_applied": event_id},
            },
        )
