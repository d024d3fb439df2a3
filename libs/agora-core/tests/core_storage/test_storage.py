"""Storage guarantees the platform relies on, checked on the real server."""

from __future__ import annotations

import asyncio

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from agora_core.storage import Document, IndexSpec, TenantRepository, ensure_indexes
from agora_core.storage.tenancy import TenantViolation

pytestmark = pytest.mark.integration


async def test_concurrent_increments_on_one_document_are_all_kept(
    database: AsyncDatabase[Document],
) -> None:
    """Counters and ledgers need MongoDB's single-document atomicity (the local
    FerretDB build adds a write lock to provide it)."""
    collection = database["counters"]
    await collection.insert_one({"_id": "c", "value": 0})

    async def bump() -> None:
        for _ in range(25):
            await collection.update_one({"_id": "c"}, {"$inc": {"value": 1}})

    await asyncio.gather(*(bump() for _ in range(16)))
    document = await collection.find_one({"_id": "c"})
    assert document is not None
    assert document["value"] == 400


async def test_a_conditional_claim_has_exactly_one_winner(
    database: AsyncDatabase[Document],
) -> None:
    collection = database["leases"]
    for round_number in range(20):
        await collection.replace_one({"_id": "doc"}, {"owner": None}, upsert=True)

        async def claim(me: int) -> bool:
            result = await collection.update_one(
                {"_id": "doc", "owner": None}, {"$set": {"owner": me}}
            )
            return result.modified_count == 1

        winners = await asyncio.gather(*(claim(i) for i in range(6)))
        assert sum(winners) == 1, f"round {round_number}: {winners}"


async def test_tenant_repository_never_reads_or_writes_another_tenant(
    database: AsyncDatabase[Document],
) -> None:
    collection = database["items"]
    await ensure_indexes(collection, [IndexSpec(keys=(("tenant_id", 1), ("title", 1)))])
    acme = TenantRepository(collection, "acme")
    globex = TenantRepository(collection, "globex")
    await acme.insert_one({"_id": "a1", "title": "Kafka"})
    await globex.insert_one({"_id": "g1", "title": "Kafka"})

    assert [d["_id"] for d in await acme.find({"title": "Kafka"})] == ["a1"]
    assert await acme.find_one({"_id": "g1"}) is None
    assert not await acme.update_one({"_id": "g1"}, {"$set": {"title": "stolen"}})
    assert not await acme.delete_one({"_id": "g1"})
    assert await acme.count() == 1
    untouched = await globex.find_one({"_id": "g1"})
    assert untouched is not None
    assert untouched["title"] == "Kafka"

    with pytest.raises(TenantViolation):
        await acme.find({"tenant_id": "globex"})
    with pytest.raises(TenantViolation):
        await acme.insert_one({"_id": "x", "tenant_id": "globex"})
    with pytest.raises(TenantViolation):
        await acme.update_one({"_id": "a1"}, {"$set": {"tenant_id": "globex"}})
    with pytest.raises(TenantViolation):
        TenantRepository(collection, " ")


@pytest.mark.unit
def test_tenant_data_indexes_must_start_with_the_tenant() -> None:
    with pytest.raises(ValueError, match="must start with tenant_id"):
        IndexSpec(keys=(("title", 1),))
    assert IndexSpec(keys=(("outbox.id", 1),), tenant_scoped=False).model().document["name"]


async def test_ensure_indexes_again_on_restart_keeps_every_index(
    database: AsyncDatabase[Document],
) -> None:
    collection = database["restarted"]
    specs = [
        IndexSpec(keys=(("tenant_id", 1), ("title", 1))),
        IndexSpec(keys=(("tenant_id", 1), ("rank", -1), ("_id", 1))),
        IndexSpec(keys=(("tenant_id", 1), ("slug", 1)), unique=True),
    ]
    first = await ensure_indexes(collection, specs[:2])
    # a restart with one more index declared: two exist already, one is new
    second = await ensure_indexes(collection, specs)
    assert second[:2] == first
    names = {index["name"] async for index in await collection.list_indexes()}
    assert names == {"_id_", *second}
