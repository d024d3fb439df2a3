"""Popularity counters on items and paths, fed by community events.

Each counter change is one conditional update that also records the event id on the
document, so a redelivered event matches nothing and changes nothing even if the
consumer's processed-id record was lost. The ids are kept in day buckets
(``popularity_seen.d<YYYYMMDD>``, the day the event happened) and buckets older than
the dedupe window are dropped in the same update, so the record stays bounded by the
events of the window. Within the window the check is exact; an event that happened
before the window began is ignored (logged): set the window at least as long as the
topics' retention, so no such event can still be delivered. The event's tenant scopes
the lookup: an event from another tenant never finds this tenant's items.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

import structlog

from agora_catalog.adapters.mongo import ITEMS, PATHS, now_ms
from agora_catalog.service_layer.catalog import search_changed
from agora_catalog.service_layer.ports import Stores
from agora_catalog.service_layer.search_index import SearchIndex
from agora_core.storage import Document

log = structlog.get_logger(__name__)

_COLLECTIONS: Final = {"knowledge": ITEMS, "path": PATHS}
LIKE_WEIGHT: Final = 1
COMMENT_WEIGHT: Final = 2
"""A comment is more engagement than a like; popularity = likes + 2 x comments."""
SEEN: Final = "popularity_seen"
_LEGACY_SEEN: Final = "popularity_applied"
"""The first design's unbounded array of ids; moved into a bucket at the next change."""


def day_bucket(moment: datetime) -> str:
    """The bucket of event ids for the (UTC) day of ``moment``: ``d20261123``."""
    return moment.strftime("d%Y%m%d")


class Popularity:
    """Applies like and comment events to the counters (and the search rows) once."""

    def __init__(
        self,
        db: Stores,
        index: SearchIndex,
        *,
        dedupe_days: int = 14,
        clock: Callable[[], datetime] = now_ms,
    ) -> None:
        self._db = db
        self._index = index
        self._window = timedelta(days=dedupe_days)
        self._clock = clock

    async def apply(
        self,
        tenant: str,
        target_type: str,
        target_id: str,
        event_id: str,
        *,
        occurred_at: datetime,
        likes: int,
        comments: int,
    ) -> bool:
        """Add ``likes``/``comments`` (may be negative) once per event; True if applied."""
        collection = _COLLECTIONS.get(target_type)
        if collection is None:
            return False  # likes of questions, answers... are not the catalog's
        repo = self._db.repo(collection, tenant)
        oldest = self._clock() - self._window
        if occurred_at < oldest:
            log.warning(
                "popularity event older than the dedupe window ignored",
                event_id=event_id,
                occurred_at=occurred_at.isoformat(),
                window_days=self._window.days,
            )
            return False
        current = await repo.find_one({"_id": target_id})
        if current is None:
            return False
        bucket = f"{SEEN}.{day_bucket(occurred_at)}"
        query: Document = {
            "_id": target_id,
            bucket: {"$ne": event_id},
            _LEGACY_SEEN: {"$ne": event_id},
        }
        if likes < 0:
            query["like_count"] = {"$gte": -likes}  # never below zero
        pushes: dict[str, list[str]] = {bucket: [event_id]}
        expired = {
            f"{SEEN}.{day}": ""
            for day in current.get(SEEN, {})
            if day < day_bucket(oldest)  # every id in it happened before the window
        }
        if _LEGACY_SEEN in current:
            # Move the old array into today's bucket: it then expires with the window.
            expired[_LEGACY_SEEN] = ""
            pushes.setdefault(f"{SEEN}.{day_bucket(self._clock())}", []).extend(
                current[_LEGACY_SEEN]
            )
        update: Document = {
            "$inc": {
                "like_count": likes,
                "comment_count": comments,
                "popularity": likes * LIKE_WEIGHT + comments * COMMENT_WEIGHT,
            },
            "$push": {path: {"$each": ids} for path, ids in pushes.items()},
        }
        if expired:
            update["$unset"] = expired
        if collection == ITEMS:
            update = search_changed(update)  # popularity is a sort key of search
        updated = await repo.find_one_and_update(query, update)
        if updated is None:
            return False
        if collection == ITEMS:
            await self._index.apply(tenant, updated)
        return True
