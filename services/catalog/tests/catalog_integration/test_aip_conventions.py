"""The AIP conventions of the catalog's other writes, through the real gRPC server,
PostgreSQL and Kafka: CreateAssignments with a request_id (AIP-155), UpdateItem and
UpdateTenantSettings with an update_mask (AIP-134)."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from agora.catalog.v1 import catalog_pb2 as pb
from agora_contracts.events.domains.learning import ASSIGNMENTS_TOPIC
from agora_core.testing.event_tap import tapping
from agora_core.testing.grpc_assertions import assert_status, rpc_error

from .helpers import LEARNER, Tenant, wiki

pytestmark = pytest.mark.integration

ASSIGNED = "org.agora.learning.assignment.created.v1"


def _assign(target_id: str, *learners: str, request_id: str = "") -> pb.CreateAssignmentsRequest:
    return pb.CreateAssignmentsRequest(
        learner_ids=list(learners),
        target_kind=pb.TARGET_KIND_KNOWLEDGE,
        target_id=target_id,
        request_id=request_id,
    )


async def _request_id_rows(tenant: Tenant, request_id: str) -> int:
    row = await tenant.row(
        "SELECT count(*) AS n FROM request_ids WHERE method = %s AND request_id = %s",
        "CreateAssignments",
        request_id,
    )
    assert row is not None
    return int(row["n"])


async def test_retried_assignments_answer_the_first_call_and_announce_once(
    tenant: Tenant, kafka_bootstrap: str
) -> None:
    s, t = tenant.stub, tenant.tenant_id
    item = await tenant.publish(wiki(title="Security policy"))
    fence = await tenant.publish(wiki(title="Fence"))
    request = _assign(item.item_id, LEARNER, "u-bob", request_id=str(uuid.uuid4()))
    async with tapping(kafka_bootstrap, [ASSIGNMENTS_TOPIC]) as tap:
        answers = await asyncio.gather(
            *(s.CreateAssignments(request, metadata=tenant.manager) for _ in range(4))
        )
        ids = {tuple(a.assignment_id for a in answer.assignments) for answer in answers}
        assert len(ids) == 1
        assert len(next(iter(ids))) == 2
        # Events are keyed by learner: the fence's events follow the first ones on
        # the same partitions, so once they are read any duplicate would be too.
        await s.CreateAssignments(_assign(fence.item_id, LEARNER, "u-bob"), metadata=tenant.manager)
        await tap.wait_for(
            ASSIGNED, tenant=t, where=lambda d: d["target_id"] == fence.item_id, count=2
        )
        first = tap.matching(ASSIGNED, tenant=t, where=lambda d: d["target_id"] == item.item_id)
        assert sorted(e.data["learner_id"] for e in first) == sorted([LEARNER, "u-bob"])
    assert await _request_id_rows(tenant, request.request_id) == 1

    other = _assign(item.item_id, LEARNER, request_id=request.request_id)
    error = await rpc_error(s.CreateAssignments(other, metadata=tenant.manager))
    assert_status(
        error, grpc.StatusCode.INVALID_ARGUMENT, field="request_id", reason="REQUEST_ID_REUSED"
    )
    bad = _assign(item.item_id, LEARNER, request_id="not a request id")
    error = await rpc_error(s.CreateAssignments(bad, metadata=tenant.manager))
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="request_id")


async def test_request_ids_of_assignments_are_per_tenant(tenant: Tenant, unique: str) -> None:
    other_tenant = Tenant(stub=tenant.stub, tenant_id=f"t-{unique}-b", runtime=tenant.runtime)
    await other_tenant.seed_taxonomy()
    request_id = str(uuid.uuid4())
    mine = await tenant.publish(wiki(title="Mine"))
    theirs = await other_tenant.publish(wiki(title="Theirs"))
    a = await tenant.stub.CreateAssignments(
        _assign(mine.item_id, LEARNER, request_id=request_id), metadata=tenant.manager
    )
    # Another request under the same id in another tenant is that tenant's own create.
    b = await tenant.stub.CreateAssignments(
        _assign(theirs.item_id, "u-bob", request_id=request_id), metadata=other_tenant.manager
    )
    assert [x.target_id for x in a.assignments] == [mine.item_id]
    assert [(x.target_id, x.learner_id) for x in b.assignments] == [(theirs.item_id, "u-bob")]
    assert await _request_id_rows(tenant, request_id) == 1
    assert await _request_id_rows(other_tenant, request_id) == 1


async def test_update_item_with_a_mask_changes_and_clears_only_the_named_fields(
    tenant: Tenant,
) -> None:
    s = tenant.stub
    draft = await tenant.create(wiki(title="Rebase", summary="Why and how", minutes=12))
    # Only the summary is named, and sent empty: it is cleared, the rest stays.
    request = pb.UpdateItemRequest(
        item_id=draft.item_id,
        item=pb.ItemDraft(title="ignored"),
        update_mask=FieldMask(paths=["summary", "theme_ids"]),
    )
    updated = (await s.UpdateItem(request, metadata=tenant.author)).item
    assert (updated.summary, list(updated.theme_ids)) == ("", [])
    assert (updated.title, updated.estimated_minutes, updated.version) == ("Rebase", 12, 2)
    assert updated.wiki.markdown == draft.wiki.markdown
    assert [(k.skill_id, k.level) for k in updated.skills] == [("sql", 2)]

    content = pb.UpdateItemRequest(
        item_id=draft.item_id,
        item=pb.ItemDraft(wiki=pb.WikiContent(markdown="Merge *instead*.")),
        update_mask=FieldMask(paths=["content", "estimated_minutes"]),
    )
    updated = (await s.UpdateItem(content, metadata=tenant.author)).item
    assert (updated.wiki.markdown, updated.estimated_minutes) == ("Merge *instead*.", 0)
    assert (updated.title, updated.summary, updated.version) == ("Rebase", "", 3)
    read = await s.GetItem(pb.GetItemRequest(item_id=draft.item_id), metadata=tenant.author)
    assert read.item == updated


@pytest.mark.parametrize(
    ("paths", "item", "field", "reason"),
    [
        (["status"], pb.ItemDraft(), "update_mask", "UNKNOWN_MASK_PATH"),
        (["title", "author_id"], pb.ItemDraft(title="x"), "update_mask", "UNKNOWN_MASK_PATH"),
        (["title"], pb.ItemDraft(), "title", "FIELD_REQUIRED"),
        (["content"], pb.ItemDraft(), "item.content", None),
        (
            ["content"],
            pb.ItemDraft(link=pb.LinkContent(url="https://x.org", kind=pb.LINK_KIND_ARTICLE)),
            "item.content",
            None,
        ),
        (["theme_ids"], pb.ItemDraft(theme_ids=["nope"]), "item.theme_ids", None),
    ],
)
async def test_update_item_refuses_bad_masks(
    tenant: Tenant, paths: list[str], item: pb.ItemDraft, field: str, reason: str | None
) -> None:
    draft = await tenant.create(wiki(summary="kept"))
    request = pb.UpdateItemRequest(
        item_id=draft.item_id, item=item, update_mask=FieldMask(paths=paths)
    )
    error = await rpc_error(tenant.stub.UpdateItem(request, metadata=tenant.author))
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field=field, reason=reason)
    read = await tenant.stub.GetItem(
        pb.GetItemRequest(item_id=draft.item_id), metadata=tenant.author
    )
    assert (read.item.version, read.item.summary) == (1, "kept")


async def test_update_tenant_settings_with_a_mask(tenant: Tenant) -> None:
    s = tenant.stub
    on = pb.UpdateTenantSettingsRequest(
        settings=pb.TenantSettings(informal_publishing_allowed=True),
        update_mask=FieldMask(paths=["informal_publishing_allowed"]),
    )
    assert (
        await s.UpdateTenantSettings(on, metadata=tenant.admin)
    ).settings.informal_publishing_allowed
    off = pb.UpdateTenantSettingsRequest(update_mask=FieldMask(paths=["*"]))
    answer = await s.UpdateTenantSettings(off, metadata=tenant.admin)
    assert not answer.settings.informal_publishing_allowed
    read = await s.GetTenantSettings(pb.GetTenantSettingsRequest(), metadata=tenant.admin)
    assert not read.settings.informal_publishing_allowed
    bad = pb.UpdateTenantSettingsRequest(update_mask=FieldMask(paths=["settings.anything"]))
    error = await rpc_error(s.UpdateTenantSettings(bad, metadata=tenant.admin))
    assert_status(
        error, grpc.StatusCode.INVALID_ARGUMENT, field="update_mask", reason="UNKNOWN_MASK_PATH"
    )
