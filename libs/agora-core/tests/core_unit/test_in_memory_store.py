"""The in-memory store used by service-layer unit tests means what MongoDB means."""

from __future__ import annotations

import pytest
from pymongo.errors import DuplicateKeyError

from agora_core.testing.in_memory_store import InMemoryDocuments, matches

pytestmark = pytest.mark.unit


def test_filters_follow_mongodb_semantics() -> None:
    doc = {"_id": 1, "tags": ["a", "b"], "n": 3, "sub": {"x": None}}
    assert matches(doc, {"tags": "a", "n": {"$gte": 3, "$lt": 4}})
    assert matches(doc, {"tags": {"$all": ["a", "b"]}, "sub.x": None, "missing": None})
    assert not matches(doc, {"missing": {"$ne": None}})
    assert not matches(doc, {"sub.x": {"$ne": None}})
    assert matches(doc, {"$or": [{"n": 9}, {"tags": {"$in": ["z", "b"]}}]})
    assert not matches(doc, {"tags": {"$nin": ["b"]}})
    assert matches(doc, {"missing": {"$exists": False}, "sub.x": {"$exists": True}})


async def test_a_bound_view_is_scoped_and_upserts_once() -> None:
    shared: dict[object, dict[str, object]] = {}
    acme, globex = InMemoryDocuments(shared, "acme"), InMemoryDocuments(shared, "globex")
    await acme.insert_one({"_id": "a1", "n": 1})
    assert await globex.find_one({"_id": "a1"}) is None
    assert not await globex.update_one({"_id": "a1"}, {"$inc": {"n": 1}})
    created = await acme.find_one_and_update(
        {"_id": "a2"}, {"$setOnInsert": {"n": 5}, "$inc": {"seen": 1}}, upsert=True
    )
    assert created == {"_id": "a2", "tenant_id": "acme", "n": 5, "seen": 1}
    again = await acme.find_one_and_update(
        {"_id": "a2"}, {"$setOnInsert": {"n": 0}, "$inc": {"seen": 1}}, upsert=True
    )
    assert again is not None
    assert (again["n"], again["seen"]) == (5, 2)
    with pytest.raises(DuplicateKeyError):
        await globex.insert_one({"_id": "a1"})
    assert [d["_id"] for d in await acme.find(sort=[("n", -1)])] == ["a2", "a1"]
