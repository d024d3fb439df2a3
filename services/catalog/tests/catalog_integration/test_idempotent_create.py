"""CreateItem with a request_id (AIP-155) through the real gRPC server and database:
retries create one draft; the id reused with another draft is refused with a reason."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest

from agora.catalog.v1 import catalog_pb2 as pb
from agora_core.testing.grpc_assertions import assert_status, rpc_error

from .helpers import Tenant, wiki

pytestmark = pytest.mark.integration


async def test_a_retried_create_makes_one_draft(tenant: Tenant) -> None:
    s = tenant.stub
    request = pb.CreateItemRequest(item=wiki(), request_id=str(uuid.uuid4()))
    created = await asyncio.gather(
        *(s.CreateItem(request, metadata=tenant.author) for _ in range(4))
    )
    assert len({c.item.item_id for c in created}) == 1
    item_id = created[0].item.item_id
    read = await s.GetItem(pb.GetItemRequest(item_id=item_id), metadata=tenant.author)
    assert read.item.version == 1

    other = pb.CreateItemRequest(item=wiki(), request_id=request.request_id)
    other.item.title = "Another title"
    error = await rpc_error(s.CreateItem(other, metadata=tenant.author))
    assert_status(
        error, grpc.StatusCode.INVALID_ARGUMENT, field="request_id", reason="REQUEST_ID_REUSED"
    )
    missing = await rpc_error(s.GetItem(pb.GetItemRequest(item_id="nope"), metadata=tenant.author))
    assert_status(missing, grpc.StatusCode.NOT_FOUND, reason="ITEM_NOT_FOUND")


async def test_a_retried_path_create_makes_one_path(tenant: Tenant) -> None:
    s = tenant.stub
    item = await tenant.create(wiki())
    request = pb.CreatePathRequest(
        title="Onboarding",
        steps=[pb.PathStep(item_id=item.item_id, mandatory=True)],
        request_id=str(uuid.uuid4()),
    )
    created = [await s.CreatePath(request, metadata=tenant.author) for _ in range(2)]
    assert created[0].path.path_id == created[1].path.path_id
    request.title = "Another path"
    error = await rpc_error(s.CreatePath(request, metadata=tenant.author))
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, reason="REQUEST_ID_REUSED")
