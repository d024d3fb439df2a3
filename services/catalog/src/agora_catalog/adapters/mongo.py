"""The catalog's MongoDB collections, their indexes, and tenant-scoped access to them.

Every collection's documents carry ``tenant_id`` and every index starts with it.
Documents whose changes emit events (items, paths, progress, enrolments, quiz
attempts, assignments) carry their own ``outbox`` array: the change and its events
are one single-document write, which the outbox relay then publishes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from pymongo.asynchronous.database import AsyncDatabase

from agora_core.storage import Document, IndexSpec, TenantRepository

ITEMS: Final = "items"
ITEM_VERSIONS: Final = "item_versions"
THEMES: Final = "themes"
SKILLS: Final = "skills"
TENANT_SETTINGS: Final = "tenant_settings"
PATHS: Final = "paths"
ENROLMENTS: Final = "enrolments"
ASSIGNMENTS: Final = "assignments"
PROGRESS: Final = "progress"
QUIZ_ATTEMPTS: Final = "quiz_attempts"
SEARCH_SHARDS: Final = "search_shards"
SEARCH_MANIFESTS: Final = "search_manifests"

OUTBOX_COLLECTIONS: Final = (ITEMS, PATHS, ENROLMENTS, ASSIGNMENTS, PROGRESS, QUIZ_ATTEMPTS)


def _ix(*keys: tuple[str, int], unique: bool = False) -> IndexSpec:
    return IndexSpec(keys=(("tenant_id", 1), *keys), unique=unique)


INDEXES: Final[dict[str, list[IndexSpec]]] = {
    ITEMS: [
        _ix(("status", 1), ("sort_time", -1), ("_id", -1)),
        # Start-up repair looks across tenants (like the outbox relay): not tenant-led.
        IndexSpec(keys=(("search_pending", 1),), name="search_pending", tenant_scoped=False),
        _ix(("skill_ids", 1), ("status", 1)),
        _ix(("author_id", 1), ("update_time", -1)),
    ],
    ITEM_VERSIONS: [_ix(("item_id", 1), ("version", -1))],
    THEMES: [_ix(("theme_id", 1), unique=True)],
    SKILLS: [_ix(("skill_id", 1), unique=True), _ix(("reviewer_ids", 1))],
    TENANT_SETTINGS: [],
    PATHS: [_ix(("status", 1), ("create_time", -1), ("_id", -1))],
    ENROLMENTS: [
        _ix(("learner_id", 1), ("step_item_ids", 1)),
        _ix(("learner_id", 1), ("path_id", 1)),
    ],
    ASSIGNMENTS: [
        _ix(("learner_id", 1), ("assigned_at", -1), ("_id", -1)),
        _ix(("assigned_by", 1), ("assigned_at", -1), ("_id", -1)),
    ],
    PROGRESS: [
        _ix(("learner_id", 1), ("updated_at", -1), ("_id", -1)),
        _ix(("skill_ids", 1), ("completed", 1)),
        _ix(("item_id", 1), ("learner_id", 1)),
    ],
    QUIZ_ATTEMPTS: [_ix(("learner_id", 1), ("item_id", 1), ("number", 1)), _ix(("skill_ids", 1))],
    # Read and written by _id only (service_layer.search_index).
    SEARCH_SHARDS: [],
    SEARCH_MANIFESTS: [],
}


class CatalogDatabase:
    """Hands out tenant-bound repositories of the catalog's collections."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.database = database

    def repo(self, collection: str, tenant_id: str) -> TenantRepository:
        return TenantRepository(self.database[collection], tenant_id)

    async def items_pending_search(self) -> list[Document]:
        """Items of every tenant whose search row may lag (start-up repair).

        ``search_pending`` is set in the same write as every change a row reflects and
        cleared once the row is stored; items written before the index existed have no
        such field. Served by the ``search_pending`` index on MongoDB (a missing field
        is indexed as null); a scan on FerretDB, once per start.
        """
        pending = {"$or": [{"search_pending": True}, {"search_pending": {"$exists": False}}]}
        return await self.database[ITEMS].find(pending).to_list()


def now_ms() -> datetime:
    """Now in UTC at BSON (millisecond) precision, so cursors built from it are exact."""
    return to_ms(datetime.now(UTC))


def to_ms(moment: datetime) -> datetime:
    """``moment`` at BSON (millisecond) precision: what the database will give back."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def is_duplicate_key(error: Exception) -> bool:
    """True for a unique-key clash (11000 on MongoDB; FerretDB reports code 1 on updates)."""
    code = getattr(error, "code", None)
    return code == 11000 or (code == 1 and "UNIQUE" in str(error).upper())
