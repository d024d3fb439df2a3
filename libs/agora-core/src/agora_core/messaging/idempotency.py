"""Processed event ids, kept per consumer group with a unique key.

A consumer skips an event whose id it has recorded. The record is written after the
handler succeeds, so a crash in between re-runs the handler: handlers must make
their own effects idempotent on the event id too (a unique key or a conditional
update naming the event id); this store is what makes redelivery cheap and visible.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from agora_core.storage import Document, IndexSpec, ensure_indexes

COLLECTION = "processed_events"
INDEXES = (IndexSpec(keys=(("tenant_id", 1), ("processed_at", 1)), name="tenant_processed_at"),)


class ProcessedEvents:
    """The set of event ids a consumer group has fully handled."""

    def __init__(self, database: AsyncDatabase[Document], group_id: str) -> None:
        self._collection = database[COLLECTION]
        self._group_id = group_id

    async def create_indexes(self) -> None:
        await ensure_indexes(self._collection, INDEXES)

    def _key(self, event_id: str) -> str:
        return f"{self._group_id}:{event_id}"

    async def seen(self, event_id: str) -> bool:
        return await self._collection.find_one({"_id": self._key(event_id)}, {"_id": 1}) is not None

    async def mark(self, event_id: str, *, tenant_id: str, event_type: str) -> bool:
        """Record the id; False if it was already there (a concurrent duplicate)."""
        try:
            await self._collection.insert_one(
                {
                    "_id": self._key(event_id),
                    "group": self._group_id,
                    "tenant_id": tenant_id,
                    "type": event_type,
                    "processed_at": datetime.now(UTC),
                }
            )
        except DuplicateKeyError:
            return False
        return True
