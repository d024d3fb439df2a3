"""MongoDB storage of score documents and the rank index (``domain/standings.py``).

Every read and write here is addressed by ``_id`` (plus ``tenant_id``), the only
filter FerretDB serves from an index; the two exceptions are named scans (a learner's
score documents, stale pending moves), used off the hot path. Conditional writes are
single-document (``find_one_and_update`` reads the state the write produced), so
MongoDB replica sets and FerretDB behave alike without transactions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, Final

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure

from agora_core.storage import Document, TenantRepository
from agora_gamification.domain.standings import (
    Entry,
    counts_of,
    point_field,
    range_field,
    range_of,
)

SCORES: Final = "scores"
BOARD_INDEX: Final = "board_index"
TEAM_TOTALS: Final = "team_totals"

# A conditional write that found nothing to insert over: FerretDB reports a duplicate
# _id from an upsert as code 1 (SQLite constraint), MongoDB as 11000.
_DUPLICATE_CODES: Final = (1, 11000)


def score_key(tenant_id: str, board: str, period: str, learner_id: str) -> str:
    """``_id`` of one learner's score on one board and period."""
    return f"{tenant_id}|{board}|{period}|{learner_id}"


def bucket_key(tenant_id: str, board: str, period: str, points: int) -> str:
    return f"{tenant_id}|{board}|{period}|p|{points}"


def range_key(tenant_id: str, board: str, period: str, range_index: int) -> str:
    return f"{tenant_id}|{board}|{period}|h|{range_index}"


def directory_key(tenant_id: str, board: str, period: str) -> str:
    return f"{tenant_id}|{board}|{period}|d"


def team_total_key(tenant_id: str, team_id: str, period: str) -> str:
    return f"{tenant_id}|{team_id}|{period}"


class MongoBoardStore:
    """The :class:`~agora_gamification.service_layer.ports.BoardStore` on MongoDB."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self.database = database

    def _repo(self, collection: str, tenant_id: str) -> TenantRepository:
        return TenantRepository(self.database[collection], tenant_id)

    # ---- score documents -------------------------------------------------------------

    async def score(self, tenant_id: str, key: str) -> Document | None:
        return await self._repo(SCORES, tenant_id).find_one({"_id": key})

    async def scores_of(
        self, tenant_id: str, learner_id: str, board: str | None = None
    ) -> list[Document]:
        query: dict[str, Any] = {"learner_id": learner_id}
        if board is not None:
            query["board"] = board
        return await self._repo(SCORES, tenant_id).find(query)

    async def create_score(self, tenant_id: str, document: Mapping[str, Any]) -> bool:
        try:
            await self._repo(SCORES, tenant_id).insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    async def update_score(
        self, tenant_id: str, key: str, seq: int, fields: Mapping[str, Any]
    ) -> bool:
        # Documents written before the index existed have no seq: they are at seq 0.
        guard: dict[str, Any] = {"seq": seq} if seq else {"seq": {"$exists": False}}
        return await self._repo(SCORES, tenant_id).update_one(
            {"_id": key, **guard}, {"$set": dict(fields)}
        )

    async def clear_pending(self, tenant_id: str, key: str, seq: int) -> bool:
        return await self._repo(SCORES, tenant_id).update_one(
            {"_id": key, "pending.seq": seq}, {"$unset": {"pending": ""}}
        )

    async def stale_pending(self, before: str, limit: int) -> list[Document]:
        cursor = self.database[SCORES].find({"pending.at": {"$lt": before}}).limit(limit)
        return await cursor.to_list()

    # ---- the rank index --------------------------------------------------------------

    async def change_bucket(
        self,
        tenant_id: str,
        board: str,
        period: str,
        points: int,
        *,
        add: Entry | None = None,
        remove: Entry | None = None,
    ) -> tuple[int, int] | None:
        update: dict[str, Any] = {"$inc": {"rev": 1}}
        if add is not None:
            update["$addToSet"] = {"entries": add.document()}
            update["$setOnInsert"] = {"board": board, "period": period, "points": points}
        if remove is not None:
            update["$pullAll"] = {"entries": [remove.document()]}
        key = bucket_key(tenant_id, board, period, points)
        doc = await self._upserting(BOARD_INDEX, tenant_id, key, update, upsert=add is not None)
        if doc is None:
            return None
        return len(doc.get("entries", ())), int(doc["rev"])

    async def set_point_count(
        self, tenant_id: str, board: str, period: str, points: int, count: int, rev: int
    ) -> tuple[int, int] | None:
        key = range_key(tenant_id, board, period, range_of(points))
        doc = await self._guarded_set(tenant_id, key, point_field(points), count, rev)
        if doc is None:
            return None
        return sum(counts_of(doc, "p").values()), int(doc["rev"])

    async def set_range_count(
        self, tenant_id: str, board: str, period: str, range_index: int, count: int, rev: int
    ) -> None:
        key = directory_key(tenant_id, board, period)
        await self._guarded_set(tenant_id, key, range_field(range_index), count, rev)

    async def _guarded_set(
        self, tenant_id: str, key: str, field: str, count: int, rev: int
    ) -> Document | None:
        """``c.<field> = {n: count, r: rev}`` unless a newer ``r`` is stored; the
        document after the write, None when a newer count was there."""
        path = f"c.{field}"
        query = {"_id": key, "$or": [{f"{path}.r": {"$lt": rev}}, {path: {"$exists": False}}]}
        update = {"$set": {path: {"n": count, "r": rev}}, "$inc": {"rev": 1}}
        repo = self._repo(BOARD_INDEX, tenant_id)
        doc = await repo.find_one_and_update(query, update)
        if doc is not None:
            return doc
        try:
            await repo.insert_one({"_id": key, "c": {}, "rev": 0})
        except DuplicateKeyError:
            return None  # it exists: the guard refused (a newer count is stored)
        return await repo.find_one_and_update(query, update)

    async def _upserting(
        self, collection: str, tenant_id: str, key: str, update: Mapping[str, Any], *, upsert: bool
    ) -> Document | None:
        repo = self._repo(collection, tenant_id)
        try:
            return await repo.find_one_and_update({"_id": key}, update, upsert=upsert)
        except (DuplicateKeyError, OperationFailure) as error:
            # Two upserts of one new _id raced (MongoDB may report it; the second
            # finds the document once the first committed).
            if error.code not in _DUPLICATE_CODES:
                raise
            return await repo.find_one_and_update({"_id": key}, update, upsert=upsert)

    async def directory(self, tenant_id: str, board: str, period: str) -> dict[int, int]:
        doc = await self._repo(BOARD_INDEX, tenant_id).find_one(
            {"_id": directory_key(tenant_id, board, period)}
        )
        return counts_of(doc, "r")

    async def range_counts(
        self, tenant_id: str, board: str, period: str, range_index: int
    ) -> dict[int, int]:
        doc = await self._repo(BOARD_INDEX, tenant_id).find_one(
            {"_id": range_key(tenant_id, board, period, range_index)}
        )
        return counts_of(doc, "p")

    async def bucket(self, tenant_id: str, board: str, period: str, points: int) -> list[Entry]:
        doc = await self._repo(BOARD_INDEX, tenant_id).find_one(
            {"_id": bucket_key(tenant_id, board, period, points)}
        )
        return [Entry.of(e) for e in (doc or {}).get("entries", ())]

    # ---- team totals -----------------------------------------------------------------

    async def team_total(self, tenant_id: str, team_id: str, period: str) -> Document | None:
        return await self._repo(TEAM_TOTALS, tenant_id).find_one(
            {"_id": team_total_key(tenant_id, team_id, period)}
        )

    async def update_team_total(
        self,
        tenant_id: str,
        team_id: str,
        period: str,
        member: str,
        expected: Mapping[str, Any] | None,
        new: Mapping[str, Any],
    ) -> bool:
        repo = self._repo(TEAM_TOTALS, tenant_id)
        key = team_total_key(tenant_id, team_id, period)
        delta = int(new["p"]) - int((expected or {}).get("p", 0))
        path = f"m.{member}"
        guard = {path: dict(expected)} if expected is not None else {path: {"$exists": False}}
        update = {"$set": {path: dict(new)}, "$inc": {"total": delta}}
        if await repo.update_one({"_id": key, **guard}, update):
            return True
        if expected is not None:
            return False
        # Missing, or the guard refused: create it (a no-op when it exists) and try once more.
        with contextlib.suppress(DuplicateKeyError):
            await repo.insert_one(
                {"_id": key, "team_id": team_id, "period": period, "total": 0, "m": {}}
            )
        return await repo.update_one({"_id": key, **guard}, update)
