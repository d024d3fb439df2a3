"""The search index on FerretDB through the real service: every use case that changes
an item keeps its row current, and a restart repairs an update interrupted between
the item's write and its row."""

from __future__ import annotations

import pytest

from agora.catalog.v1 import catalog_pb2 as pb
from agora_catalog.bootstrap import build
from agora_catalog.service_layer.catalog import search_changed
from agora_catalog.settings import CatalogSettings
from agora_core.runtime import ServiceRuntime

from .helpers import Tenant, wiki

pytestmark = pytest.mark.integration


async def _ids(tenant: Tenant, who: object = None, **fields: object) -> list[str]:
    response = await tenant.stub.SearchItems(
        pb.SearchItemsRequest(**fields),  # type: ignore[arg-type]
        metadata=who or tenant.learner,  # type: ignore[arg-type]
    )
    return [item.item_id for item in response.items]


async def test_edit_publish_and_archive_reach_search(tenant: Tenant) -> None:
    draft = await tenant.create(wiki(title="Jointures externes", language="fr"))
    mine = {"who": tenant.author, "status": pb.ITEM_STATUS_DRAFT}
    assert await _ids(tenant, query="jointure", **mine) == [draft.item_id]
    await tenant.stub.UpdateItem(
        pb.UpdateItemRequest(item_id=draft.item_id, item=wiki(title="Unions ensemblistes")),
        metadata=tenant.author,
    )
    assert await _ids(tenant, query="jointure", **mine) == []
    assert await _ids(tenant, query="ensembliste", **mine) == [draft.item_id]
    assert await _ids(tenant, query="unions") == []  # a draft is not in the catalogue

    await tenant.stub.SubmitItem(
        pb.SubmitItemRequest(item_id=draft.item_id), metadata=tenant.author
    )
    await tenant.stub.ClaimReview(
        pb.ClaimReviewRequest(item_id=draft.item_id), metadata=tenant.admin
    )
    await tenant.stub.ReviewItem(
        pb.ReviewItemRequest(item_id=draft.item_id, decision=pb.REVIEW_DECISION_APPROVED),
        metadata=tenant.admin,
    )
    assert await _ids(tenant, query="unions") == [draft.item_id]
    await tenant.stub.ArchiveItem(
        pb.ArchiveItemRequest(item_id=draft.item_id, reason="outdated"), metadata=tenant.author
    )
    assert await _ids(tenant, query="unions") == []
    archived = await _ids(tenant, tenant.admin, query="unions", status=pb.ITEM_STATUS_ARCHIVED)
    assert archived == [draft.item_id]
    stored = await tenant.runtime.database["items"].find_one({"_id": draft.item_id})
    assert stored is not None
    assert stored["search_pending"] is False


async def test_restart_repairs_an_interrupted_update(
    tenant: Tenant, catalog_runtime: ServiceRuntime
) -> None:
    item = await tenant.publish(wiki(title="Partitionnement"))
    items = tenant.runtime.database["items"]
    # The item's write happened (with its search mark), then the process died before
    # the row was stored.
    await items.find_one_and_update(
        {"_id": item.item_id, "tenant_id": tenant.tenant_id},
        search_changed({"$set": {"title": "Fenêtrage analytique"}}),
    )
    assert await _ids(tenant, query="fenetrage") == []  # the row lags behind
    assert await _ids(tenant, query="partitionnement") == [item.item_id]

    # A new process starts: build() repairs pending items before serving.
    settings = catalog_runtime.settings
    assert isinstance(settings, CatalogSettings)
    restarted = await build(settings)
    await restarted.mongo.close()
    # The running service (another process's cache) sees the repaired row at once.
    assert await _ids(tenant, query="fenetrage") == [item.item_id]
    assert await _ids(tenant, query="partitionnement") == []
    stored = await items.find_one({"_id": item.item_id})
    assert stored is not None
    assert stored["search_pending"] is False
