"""The search index: item rows in ``_id``-addressed shard documents, cached per process.

Stored (collections in ``adapters.mongo``; every read and write is by ``_id``):

- ``search_shards``, ``_id = "<tenant>:<k>"`` with ``k = shard_of(item)``: ``rows``
  (item id → the row's compact JSON string, :class:`SearchRow`), ``revs`` (item id →
  the row's revision) and ``rev`` (a change counter of the shard);
- ``search_manifests``, ``_id = "<tenant>"``: ``shards`` (``s<k>`` → how many times
  shard ``k`` changed).

Writing (no multi-document transaction anywhere). Every write that changes what a row
holds also increments the item's ``search_rev`` and sets ``search_pending`` *in the same
write*. Then :meth:`SearchIndex.apply` (1) writes the row into its shard only if the
shard holds an older revision (so a late, older apply never overwrites a newer row),
(2) counts the change in the manifest, (3) clears ``search_pending`` only if
``search_rev`` is still the revision it applied. Each step is idempotent; a process that
dies between them leaves the item pending, and :meth:`SearchIndex.repair` (run at
start-up) applies every pending item again, in batches.

Reading. Each process keeps the tenant's rows in memory (:class:`RowSet` per shard).
A search reads the manifest (one small document) and reloads only the shards whose
count changed since it loaded them. The count is bumped after the shard write, so a
search that sees the new count loads the new row: a change another replica finished
is visible to the next search everywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from pymongo.errors import DuplicateKeyError, PyMongoError

from agora_catalog.adapters.mongo import ITEMS, SEARCH_MANIFESTS, SEARCH_SHARDS, is_duplicate_key
from agora_catalog.domain.search import RowSet, SearchRow
from agora_catalog.service_layer.ports import Stores
from agora_core.storage import Document, DocumentStore

SHARDS: Final = 128
"""Rows per shard document ≈ items / 128: small enough to rewrite on each change."""
_MERGE_ATTEMPTS: Final = 5
_SETTLE_CONCURRENCY: Final = 16


def shard_of(item_id: str) -> int:
    """The shard holding an item's row (stable across processes and versions)."""
    digest = hashlib.blake2b(item_id.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") % SHARDS


def _shard_id(tenant: str, shard: int) -> str:
    return f"{tenant}:{shard:03d}"


def _shard_key(shard: int) -> str:
    return f"s{shard:03d}"


@dataclass
class _TenantRows:
    """One tenant's rows as this process last loaded them."""

    counts: dict[int, int] = field(default_factory=dict)
    row_sets: dict[int, RowSet] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class SearchIndex:
    """Keeps the rows in step with the items, and serves them to search."""

    def __init__(self, db: Stores, *, cached_tenants: int = 16) -> None:
        self._db = db
        self._cached_tenants = cached_tenants
        self._tenants: OrderedDict[str, _TenantRows] = OrderedDict()

    # --- writing ---------------------------------------------------------------------

    async def apply(self, tenant: str, document: Document) -> None:
        """Bring the index up to ``document``, an item as one write just left it."""
        row = SearchRow.of(document)
        shard = shard_of(row.item_id)
        await self._write_row(tenant, shard, row)
        await self._count_changes(tenant, [shard])
        await self._settle(tenant, [row])

    async def apply_many(self, tenant: str, documents: Iterable[Document]) -> int:
        """:meth:`apply` for many items of one tenant: one write per shard touched."""
        by_shard: dict[int, list[SearchRow]] = defaultdict(list)
        for document in documents:
            row = SearchRow.of(document)
            by_shard[shard_of(row.item_id)].append(row)
        for shard, rows in by_shard.items():
            await self._merge_rows(tenant, shard, rows)
        await self._count_changes(tenant, list(by_shard))
        rows = [row for shard_rows in by_shard.values() for row in shard_rows]
        await self._settle(tenant, rows)
        return len(rows)

    async def repair(self, pending: Iterable[Document]) -> int:
        """Apply items left pending (a process died mid-apply) or never indexed."""
        by_tenant: dict[str, list[Document]] = defaultdict(list)
        for document in pending:
            by_tenant[document["tenant_id"]].append(document)
        applied = 0
        for tenant, documents in by_tenant.items():
            applied += await self.apply_many(tenant, documents)
        return applied

    def _shards(self, tenant: str) -> DocumentStore:
        return self._db.repo(SEARCH_SHARDS, tenant)

    async def _write_row(self, tenant: str, shard: int, row: SearchRow) -> None:
        shards = self._shards(tenant)
        shard_id = _shard_id(tenant, shard)
        rev = f"revs.{row.item_id}"
        older = {"_id": shard_id, "$or": [{rev: {"$exists": False}}, {rev: {"$lt": row.rev}}]}
        update = {"$set": {f"rows.{row.item_id}": row.to_json(), rev: row.rev}, "$inc": {"rev": 1}}
        if await shards.update_one(older, update):
            return
        if await self._ensure_shard(shards, shard_id):
            await shards.update_one(older, update)
        # Otherwise the shard already holds this revision of the row or a newer one.

    async def _ensure_shard(self, shards: DocumentStore, shard_id: str) -> bool:
        """Create an empty shard document; False if it existed already."""
        if await shards.find({"_id": shard_id}, projection={"rev": 1}, limit=1):
            return False
        with contextlib.suppress(DuplicateKeyError):  # created concurrently: fine too
            await shards.insert_one({"_id": shard_id, "rev": 0, "rows": {}, "revs": {}})
        return True

    async def _merge_rows(self, tenant: str, shard: int, rows: Sequence[SearchRow]) -> None:
        """Write the rows newer than the shard's in one compare-and-set on its counter."""
        shards = self._shards(tenant)
        shard_id = _shard_id(tenant, shard)
        for _ in range(_MERGE_ATTEMPTS):
            current = await shards.find_one({"_id": shard_id})
            if current is None:
                await self._ensure_shard(shards, shard_id)
                continue
            revs = current.get("revs", {})
            newer = [row for row in rows if revs.get(row.item_id, -1) < row.rev]
            if not newer:
                return
            fields: Document = {}
            for row in newer:
                fields[f"rows.{row.item_id}"] = row.to_json()
                fields[f"revs.{row.item_id}"] = row.rev
            if await shards.update_one(
                {"_id": shard_id, "rev": current["rev"]}, {"$set": fields, "$inc": {"rev": 1}}
            ):
                return
        # The shard kept changing under us: fall back to one conditional write per row.
        for row in rows:
            await self._write_row(tenant, shard, row)

    async def _count_changes(self, tenant: str, shards: Sequence[int]) -> None:
        if not shards:
            return
        manifests = self._db.repo(SEARCH_MANIFESTS, tenant)
        update = {"$inc": {f"shards.{_shard_key(shard)}": 1 for shard in shards}}
        try:
            await manifests.update_one({"_id": tenant}, update, upsert=True)
        except PyMongoError as error:
            if not is_duplicate_key(error):
                raise
            # Two first writes of a tenant raced to create the manifest: it exists now.
            await manifests.update_one({"_id": tenant}, update)

    async def _settle(self, tenant: str, rows: Sequence[SearchRow]) -> None:
        """Clear ``search_pending`` where no newer write happened meanwhile."""
        items = self._db.repo(ITEMS, tenant)
        gate = asyncio.Semaphore(_SETTLE_CONCURRENCY)

        async def settle(row: SearchRow) -> None:
            async with gate:
                # An item written before the index existed has no search_rev (revision 0).
                rev = row.rev if row.rev else {"$exists": False}
                await items.update_one(
                    {"_id": row.item_id, "search_rev": rev},
                    {"$set": {"search_pending": False, "search_rev": row.rev}},
                )

        await asyncio.gather(*(settle(row) for row in rows))

    # --- reading ---------------------------------------------------------------------

    def _tenant(self, tenant: str) -> _TenantRows:
        cached = self._tenants.get(tenant)
        if cached is None:
            cached = self._tenants[tenant] = _TenantRows()
            while len(self._tenants) > self._cached_tenants:
                self._tenants.popitem(last=False)
        self._tenants.move_to_end(tenant)
        return cached

    async def row_sets(self, tenant: str) -> list[RowSet]:
        """The tenant's rows, including every change whose apply has finished."""
        manifest = await self._db.repo(SEARCH_MANIFESTS, tenant).find_one({"_id": tenant})
        counts = {int(key[1:]): n for key, n in (manifest or {}).get("shards", {}).items()}
        cached = self._tenant(tenant)
        if any(cached.counts.get(shard) != n for shard, n in counts.items()):
            async with cached.lock:  # one reload per shard, however many searches wait
                stale = [shard for shard, n in counts.items() if cached.counts.get(shard) != n]
                loaded = await asyncio.gather(*(self._load(tenant, shard) for shard in stale))
                for shard, row_set in zip(stale, loaded, strict=True):
                    cached.row_sets[shard] = row_set
                    cached.counts[shard] = counts[shard]
        return list(cached.row_sets.values())

    async def _load(self, tenant: str, shard: int) -> RowSet:
        document = await self._shards(tenant).find_one({"_id": _shard_id(tenant, shard)})
        rows = (document or {}).get("rows", {})
        return RowSet.of(SearchRow.from_json(item_id, text) for item_id, text in rows.items())


class ItemCache:
    """Items recently served on search pages, each valid for one search revision.

    Every write to an item document increments its ``search_rev`` in the same write
    (``catalog.search_changed``; the outbox relay only touches the hidden ``outbox``),
    and a search evaluates current rows, so a cached item whose revision equals its
    row's is the stored item. Least recently used items leave first.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._documents: OrderedDict[tuple[str, str], Document] = OrderedDict()

    def get(self, tenant: str, item_id: str, rev: int) -> Document | None:
        """The cached item if it is at revision ``rev``."""
        document = self._documents.get((tenant, item_id))
        if document is None or document.get("search_rev", 0) != rev:
            return None
        self._documents.move_to_end((tenant, item_id))
        return document

    def put(self, tenant: str, document: Document) -> None:
        """Remember an item as just read."""
        self._documents[(tenant, document["_id"])] = document
        self._documents.move_to_end((tenant, document["_id"]))
        while len(self._documents) > self._capacity:
            self._documents.popitem(last=False)
