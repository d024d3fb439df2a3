"""In-memory fakes of the service layer's storage ports (``service_layer.ports``).

Enough of MongoDB's query and update language for the use cases: equality (array
fields match an element), ``$ne`` (array fields: no element equal), ``$in``, ``$nin``,
``$gt``/``$lt``, ``$exists``, ``$or``, ``$regex`` prefixes; ``$set``, ``$inc``,
``$push`` (with ``$each``), ``$setOnInsert``. Each call is atomic, like one document write.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pymongo.errors import DuplicateKeyError

Document = dict[str, Any]


def _matches_value(actual: Any, condition: Any) -> bool:
    if isinstance(condition, Mapping) and any(str(k).startswith("$") for k in condition):
        for operator, operand in condition.items():
            if operator == "$ne":
                if isinstance(actual, list):
                    if operand in actual:
                        return False
                elif actual == operand:
                    return False
            elif operator == "$in":
                if actual not in operand:
                    return False
            elif operator == "$nin":
                if actual in operand:
                    return False
            elif operator == "$gt":
                if actual is None or not actual > operand:
                    return False
            elif operator == "$lt":
                if actual is None or not actual < operand:
                    return False
            elif operator == "$exists":
                if (actual is not None) != bool(operand):
                    return False
            elif operator == "$regex":
                if not isinstance(actual, str) or not re.search(operand, actual):
                    return False
            else:
                raise NotImplementedError(operator)
        return True
    if isinstance(actual, list) and not isinstance(condition, list):
        return condition in actual
    return bool(actual == condition)


def matches(document: Mapping[str, Any], query: Mapping[str, Any]) -> bool:
    for field, condition in query.items():
        if field == "$or":
            if not any(matches(document, branch) for branch in condition):
                return False
        elif not _matches_value(document.get(field), condition):
            return False
    return True


def apply_update(document: Document, update: Mapping[str, Any], *, inserting: bool) -> None:
    for operator, fields in update.items():
        for field, value in fields.items():
            if operator == "$set" or (operator == "$setOnInsert" and inserting):
                document[field] = copy.deepcopy(value)
            elif operator == "$inc":
                document[field] = document.get(field, 0) + value
            elif operator == "$push":
                items = (
                    value["$each"] if isinstance(value, Mapping) and "$each" in value else [value]
                )
                document.setdefault(field, []).extend(copy.deepcopy(items))
            elif operator != "$setOnInsert":
                raise NotImplementedError(operator)


class InMemoryDocuments:
    """One tenant's collection in a dict keyed by ``_id``."""

    def __init__(self) -> None:
        self.documents: dict[Any, Document] = {}

    async def insert_one(self, document: Mapping[str, Any]) -> Any:
        if document["_id"] in self.documents:
            raise DuplicateKeyError("E11000 duplicate key")
        self.documents[document["_id"]] = copy.deepcopy(dict(document))
        return document["_id"]

    async def find_one(self, query: Mapping[str, Any] | None = None) -> Document | None:
        found = await self.find(query, limit=1)
        return found[0] if found else None

    async def find(
        self,
        query: Mapping[str, Any] | None = None,
        *,
        sort: Sequence[tuple[str, int]] | None = None,
        limit: int = 0,
        skip: int = 0,
        projection: Mapping[str, Any] | None = None,
    ) -> list[Document]:
        found = [copy.deepcopy(d) for d in self.documents.values() if matches(d, query or {})]
        for field, direction in reversed(list(sort or [])):
            found.sort(key=lambda d, f=field: d.get(f), reverse=direction < 0)  # type: ignore[misc]
        found = found[skip:]
        return found[:limit] if limit else found

    async def count(self, query: Mapping[str, Any] | None = None) -> int:
        return len(await self.find(query))

    async def update_one(
        self, query: Mapping[str, Any], update: Mapping[str, Any], *, upsert: bool = False
    ) -> bool:
        return await self.find_one_and_update(query, update, upsert=upsert) is not None

    async def find_one_and_update(
        self,
        query: Mapping[str, Any],
        update: Mapping[str, Any],
        *,
        upsert: bool = False,
        return_after: bool = True,
    ) -> Document | None:
        for document in self.documents.values():
            if matches(document, query):
                before = copy.deepcopy(document)
                apply_update(document, update, inserting=False)
                return copy.deepcopy(document) if return_after else before
        if not upsert:
            return None
        created: Document = {k: v for k, v in query.items() if not isinstance(v, Mapping)}
        if created.get("_id") in self.documents:
            raise DuplicateKeyError("E11000 duplicate key")
        apply_update(created, update, inserting=True)
        self.documents[created["_id"]] = created
        return copy.deepcopy(created)

    def outbox_types(self) -> list[str]:
        """CloudEvents types of every outbox entry still in this collection, in order."""
        return [
            entry["headers"]["ce_type"]
            for document in self.documents.values()
            for entry in document.get("outbox", [])
        ]


class InMemoryStore:
    """The ``Store`` port in memory, counting relay wake-ups."""

    def __init__(self, tenant_id: str = "acme") -> None:
        self.tenant_id = tenant_id
        self.spaces = InMemoryDocuments()
        self.memberships = InMemoryDocuments()
        self.targets = InMemoryDocuments()
        self.comments = InMemoryDocuments()
        self.likes = InMemoryDocuments()
        self.popularity = InMemoryDocuments()
        self.participants = InMemoryDocuments()
        self.questions = InMemoryDocuments()
        self.answers = InMemoryDocuments()
        self.experts = InMemoryDocuments()
        self.reports = InMemoryDocuments()
        self.rate_windows = InMemoryDocuments()
        self.notified = 0

    def key(self, *parts: str) -> str:
        return ":".join((self.tenant_id, *parts))

    def events_written(self) -> None:
        self.notified += 1
