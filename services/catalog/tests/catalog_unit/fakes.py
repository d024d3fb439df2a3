"""In-memory fakes of the catalog's own ports (no I/O): a tenant-bound document store
understanding the small query and update language the use cases speak."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pymongo.errors import DuplicateKeyError

from agora_core.storage import Document

_MISSING = object()


def _get(document: Mapping[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _candidates(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _matches_condition(value: Any, condition: Any) -> bool:
    if isinstance(condition, Mapping) and condition and next(iter(condition)).startswith("$"):
        for op, arg in condition.items():
            present = [v for v in _candidates(value) if v is not _MISSING]
            if op == "$ne" and any(v == arg for v in present):
                return False
            if op == "$in" and not any(v in arg for v in present):
                return False
            if op == "$all" and not all(a in present for a in arg):
                return False
            if op == "$exists" and (value is not _MISSING) != arg:
                return False
            comparisons = {"$lt": "__lt__", "$lte": "__le__", "$gt": "__gt__", "$gte": "__ge__"}
            if op in comparisons and not any(
                v is not None and getattr(v, comparisons[op])(arg) is True for v in present
            ):
                return False
        return True
    if value is _MISSING:
        return condition is None
    return any(v == condition for v in _candidates(value))


def matches(document: Mapping[str, Any], query: Mapping[str, Any]) -> bool:
    """Equality (array membership included), $ne, $in, $all, $exists, $lt..$gte, $or."""
    for field, condition in query.items():
        if field == "$or":
            if not any(matches(document, branch) for branch in condition):
                return False
        elif not _matches_condition(_get(document, field), condition):
            return False
    return True


def _parent(document: Document, path: str) -> tuple[Document, str]:
    *parents, leaf = path.split(".")
    target = document
    for part in parents:
        target = target.setdefault(part, {})
    return target, leaf


def apply_update(document: Document, update: Mapping[str, Any]) -> None:
    """$set, $setOnInsert (ignored on update), $inc, $push ($each), $addToSet, $pullAll, $unset."""
    for op, fields in update.items():
        for path, arg in fields.items():
            target, leaf = _parent(document, path)
            if op == "$set":
                target[leaf] = copy.deepcopy(arg)
            elif op == "$inc":
                target[leaf] = target.get(leaf, 0) + arg
            elif op == "$push":
                items = arg["$each"] if isinstance(arg, Mapping) and "$each" in arg else [arg]
                target.setdefault(leaf, []).extend(copy.deepcopy(items))
            elif op == "$addToSet":
                if arg not in target.setdefault(leaf, []):
                    target[leaf].append(arg)
            elif op == "$pullAll":
                target[leaf] = [v for v in target.get(leaf, []) if v not in arg]
            elif op == "$unset":
                target.pop(leaf, None)
            elif op != "$setOnInsert":
                raise NotImplementedError(op)


def _key(field: str) -> Callable[[Document], Any]:
    return lambda document: document[field]


class FakeStore:
    """One collection of one tenant, shared through :class:`FakeStores`."""

    def __init__(self, documents: dict[Any, Document], tenant_id: str) -> None:
        self._documents = documents
        self.tenant_id = tenant_id

    def _scoped(self, query: Mapping[str, Any] | None) -> dict[str, Any]:
        return {**(query or {}), "tenant_id": self.tenant_id}

    async def insert_one(self, document: Mapping[str, Any]) -> Any:
        stored = copy.deepcopy({**document, "tenant_id": self.tenant_id})
        if stored["_id"] in self._documents:
            raise DuplicateKeyError("duplicate _id", 11000)
        self._documents[stored["_id"]] = stored
        return stored["_id"]

    async def insert_many(self, documents: Sequence[Mapping[str, Any]]) -> list[Any]:
        return [await self.insert_one(d) for d in documents]

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
        found = [copy.deepcopy(d) for d in self._documents.values() if matches(d, scoped)]
        for field, direction in reversed(sort or []):
            found.sort(key=_key(field), reverse=direction < 0)
        found = found[skip:]
        return found[:limit] if limit else found

    async def count(self, query: Mapping[str, Any] | None = None) -> int:
        return len(await self.find(query))

    async def distinct(self, field: str, query: Mapping[str, Any]) -> list[Any]:
        return sorted({d[field] for d in await self.find(query)})

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
        for document in self._documents.values():
            if matches(document, scoped):
                before = copy.deepcopy(document)
                apply_update(document, update)
                return copy.deepcopy(document) if return_after else before
        if not upsert:
            return None
        created = {k: v for k, v in scoped.items() if not k.startswith("$")}
        apply_update(
            created,
            {**update, "$set": {**update.get("$setOnInsert", {}), **update.get("$set", {})}},
        )
        self._documents[created["_id"]] = created
        return copy.deepcopy(created)


class FakeStores:
    """Collections by name; every store is bound to a tenant like the real ones."""

    def __init__(self) -> None:
        self.collections: dict[str, dict[Any, Document]] = {}

    def repo(self, collection: str, tenant_id: str) -> FakeStore:
        return FakeStore(self.collections.setdefault(collection, {}), tenant_id)

    def all(self, collection: str) -> list[Document]:
        return list(self.collections.get(collection, {}).values())
