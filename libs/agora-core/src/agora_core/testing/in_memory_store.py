"""An in-memory :class:`agora_core.storage.DocumentStore` for unit tests of use cases.

It speaks the part of MongoDB's language the services' use cases use, with MongoDB's
meaning: filters with dotted paths, equality (an array field matches an element),
``$ne``, ``$in``, ``$nin``, ``$all``, ``$exists``, ``$lt``/``$lte``/``$gt``/``$gte``,
``$regex`` and ``$or``; updates with ``$set``, ``$setOnInsert``, ``$inc``, ``$push``
(with ``$each``), ``$addToSet``, ``$pullAll`` and ``$unset``; upserts and a unique
``_id``. Each call is atomic, like one document write. No I/O: unit tests only.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pymongo.errors import DuplicateKeyError

from agora_core.storage import Document

_MISSING = object()
_COMPARISONS = {"$lt": "__lt__", "$lte": "__le__", "$gt": "__gt__", "$gte": "__ge__"}


def _get(document: Mapping[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _candidates(value: Any) -> list[Any]:
    if value is _MISSING:
        return []
    return list(value) if isinstance(value, list) else [value]


def _is_operator_document(condition: Any) -> bool:
    return isinstance(condition, Mapping) and any(str(k).startswith("$") for k in condition)


def _matches_operator(value: Any, operator: str, operand: Any) -> bool:
    present = _candidates(value)
    if operator == "$ne":
        if operand is None:  # a missing field counts as null
            return value is not _MISSING and value is not None
        return not any(v == operand for v in present)
    if operator == "$in":
        return any(v in operand for v in present) or (value is _MISSING and None in operand)
    if operator == "$nin":
        return not any(v in operand for v in present)
    if operator == "$all":
        return all(a in present for a in operand)
    if operator == "$exists":
        return (value is not _MISSING) == bool(operand)
    if operator == "$regex":
        return any(isinstance(v, str) and re.search(operand, v) for v in present)
    if operator in _COMPARISONS:
        return any(
            v is not None and getattr(v, _COMPARISONS[operator])(operand) is True for v in present
        )
    raise NotImplementedError(f"the in-memory store does not speak {operator}")


def matches(document: Mapping[str, Any], query: Mapping[str, Any]) -> bool:
    """Whether ``document`` matches the filter ``query``."""
    for field, condition in query.items():
        if field == "$or":
            if not any(matches(document, branch) for branch in condition):
                return False
            continue
        value = _get(document, field)
        if _is_operator_document(condition):
            if not all(_matches_operator(value, op, arg) for op, arg in condition.items()):
                return False
        elif value is _MISSING:
            if condition is not None:
                return False
        elif not (value == condition or condition in _candidates(value)):
            return False
    return True


def _parent(document: Document, path: str) -> tuple[Document, str]:
    *parents, leaf = path.split(".")
    target = document
    for part in parents:
        target = target.setdefault(part, {})
    return target, leaf


def apply_update(document: Document, update: Mapping[str, Any], *, inserting: bool) -> None:
    """Apply an update document in place (``$setOnInsert`` only when ``inserting``)."""
    for operator, fields in update.items():
        for path, arg in fields.items():
            target, leaf = _parent(document, path)
            if operator == "$set" or (operator == "$setOnInsert" and inserting):
                target[leaf] = copy.deepcopy(arg)
            elif operator == "$inc":
                target[leaf] = target.get(leaf, 0) + arg
            elif operator == "$push":
                items = arg["$each"] if isinstance(arg, Mapping) and "$each" in arg else [arg]
                target.setdefault(leaf, []).extend(copy.deepcopy(items))
            elif operator == "$addToSet":
                items = arg["$each"] if isinstance(arg, Mapping) and "$each" in arg else [arg]
                for item in items:
                    if item not in target.setdefault(leaf, []):
                        target[leaf].append(copy.deepcopy(item))
            elif operator == "$pullAll":
                target[leaf] = [v for v in target.get(leaf, []) if v not in arg]
            elif operator == "$unset":
                target.pop(leaf, None)
            elif operator != "$setOnInsert":
                raise NotImplementedError(f"the in-memory store does not speak {operator}")


def _sort_key(field: str) -> Any:
    def key(document: Document) -> tuple[bool, Any]:
        value = _get(document, field)
        # MongoDB sorts missing and null before every other value
        return (value is not _MISSING and value is not None, None if value is _MISSING else value)

    return key


class InMemoryDocuments:
    """One collection in a dict keyed by ``_id``; bound to a tenant when given one.

    Bound, it behaves like a ``TenantRepository``: every filter is scoped to the tenant
    and every inserted document stamped with it. Several bound views can share one
    ``documents`` dict, as tenants share a collection.
    """

    def __init__(
        self, documents: dict[Any, Document] | None = None, tenant_id: str | None = None
    ) -> None:
        self.documents: dict[Any, Document] = {} if documents is None else documents
        self.tenant_id = tenant_id

    def _scoped(self, query: Mapping[str, Any] | None) -> dict[str, Any]:
        if self.tenant_id is None:
            return dict(query or {})
        return {**(query or {}), "tenant_id": self.tenant_id}

    async def insert_one(self, document: Mapping[str, Any]) -> Any:
        stored = copy.deepcopy(dict(document))
        if self.tenant_id is not None:
            stored["tenant_id"] = self.tenant_id
        if stored["_id"] in self.documents:
            raise DuplicateKeyError("E11000 duplicate key error", 11000)
        self.documents[stored["_id"]] = stored
        return stored["_id"]

    async def insert_many(self, documents: Sequence[Mapping[str, Any]]) -> list[Any]:
        return [await self.insert_one(document) for document in documents]

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
        scoped = self._scoped(query)
        found = [copy.deepcopy(d) for d in self.documents.values() if matches(d, scoped)]
        for field, direction in reversed(list(sort or [])):
            found.sort(key=_sort_key(field), reverse=direction < 0)
        found = found[skip:]
        return found[:limit] if limit else found

    async def count(self, query: Mapping[str, Any] | None = None) -> int:
        return len(await self.find(query))

    async def distinct(self, field: str, query: Mapping[str, Any] | None = None) -> list[Any]:
        values = {v for d in await self.find(query) for v in _candidates(_get(d, field))}
        return sorted(values, key=lambda v: (str(type(v)), v))

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
        scoped = self._scoped(query)
        for document in self.documents.values():
            if matches(document, scoped):
                before = copy.deepcopy(document)
                apply_update(document, update, inserting=False)
                return copy.deepcopy(document) if return_after else before
        if not upsert:
            return None
        created: Document = {
            k: copy.deepcopy(v)
            for k, v in scoped.items()
            if not k.startswith("$") and not _is_operator_document(v)
        }
        if created.get("_id") in self.documents:
            raise DuplicateKeyError("E11000 duplicate key error", 11000)
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
