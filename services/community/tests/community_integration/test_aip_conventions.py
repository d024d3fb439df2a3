"""AIP conventions through the real gRPC server and database: an idempotent create
(request_id, AIP-155), an update mask that can clear a field (AIP-134), and errors
carrying a stable ErrorInfo reason (AIP-193)."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from agora.community.v1 import community_pb2 as pb
from agora_core.grpc.status_details import error_info
from agora_core.testing.grpc_assertions import assert_status, rpc_error

from .support import Community

pytestmark = pytest.mark.integration

INVALID = grpc.StatusCode.INVALID_ARGUMENT


def _create(name: str, request_id: str) -> pb.CreateSpaceRequest:
    return pb.CreateSpaceRequest(
        name=name, visibility=pb.SPACE_VISIBILITY_OPEN, topic="data", request_id=request_id
    )


async def test_a_create_retried_with_its_request_id_creates_once(
    community: Community, tenant: str
) -> None:
    stub = community.stub
    owner = community.as_user(tenant, "u-owner", "contributor")
    request_id = str(uuid.uuid4())
    request = _create("Idempotent Guild", request_id)
    # Concurrent retries (a client timing out and retrying at once): one space.
    responses = await asyncio.gather(*(stub.CreateSpace(request, metadata=owner) for _ in range(5)))
    assert len({r.space.space_id for r in responses}) == 1
    again = await stub.CreateSpace(request, metadata=owner)
    assert again.space.space_id == responses[0].space.space_id
    found = await stub.DiscoverSpaces(  # spaces the caller may join: another person's view
        pb.DiscoverSpacesRequest(name_prefix="idempotent"),
        metadata=community.as_user(tenant, "u-ada"),
    )
    assert [s.space_id for s in found.spaces] == [again.space.space_id]

    # The same id with another request is a client bug: refused, named, stable reason.
    error = await rpc_error(stub.CreateSpace(_create("Other Guild", request_id), metadata=owner))
    assert_status(error, INVALID, field="request_id", reason="REQUEST_ID_REUSED")
    info = error_info(error)
    assert info is not None
    assert info.domain == "agora.community"

    # Request ids are per tenant: another tenant's identical request creates its own.
    other_tenant = f"{tenant}-b"
    elsewhere = await stub.CreateSpace(
        request, metadata=community.as_user(other_tenant, "u-owner", "contributor")
    )
    assert elsewhere.space.space_id != again.space.space_id

    # Without a request id, a repeat is a new create (here: the name is taken).
    repeat = await rpc_error(stub.CreateSpace(_create("Idempotent Guild", ""), metadata=owner))
    assert_status(repeat, grpc.StatusCode.ALREADY_EXISTS, reason="SPACE_NAME_TAKEN")
    malformed = await rpc_error(stub.CreateSpace(_create("X", "no spaces"), metadata=owner))
    assert_status(malformed, INVALID, field="request_id", reason="INVALID_FIELD")


async def test_an_update_mask_changes_only_its_fields_and_can_clear_one(
    community: Community, tenant: str
) -> None:
    stub = community.stub
    owner = community.as_user(tenant, "u-owner", "contributor")
    space = await community.space(tenant, "u-owner", name="Masked Guild")
    assert space.description

    # Without a mask an empty field is left alone (the pre-AIP behaviour).
    kept = await stub.UpdateSpace(
        pb.UpdateSpaceRequest(space_id=space.space_id, name="Masked Guild 2"), metadata=owner
    )
    assert (kept.space.name, kept.space.description) == ("Masked Guild 2", space.description)

    cleared = await stub.UpdateSpace(
        pb.UpdateSpaceRequest(
            space_id=space.space_id,
            name="ignored: not in the mask",
            update_mask=FieldMask(paths=["description"]),
        ),
        metadata=owner,
    )
    assert (cleared.space.name, cleared.space.description) == ("Masked Guild 2", "")
    read = await stub.GetSpace(pb.GetSpaceRequest(space_id=space.space_id), metadata=owner)
    assert read.space.description == ""

    unknown = await rpc_error(
        stub.UpdateSpace(
            pb.UpdateSpaceRequest(
                space_id=space.space_id, update_mask=FieldMask(paths=["member_count"])
            ),
            metadata=owner,
        )
    )
    assert_status(unknown, INVALID, field="update_mask", reason="UNKNOWN_MASK_PATH")
    required = await rpc_error(
        stub.UpdateSpace(
            pb.UpdateSpaceRequest(space_id=space.space_id, update_mask=FieldMask(paths=["*"])),
            metadata=owner,
        )
    )
    assert_status(required, INVALID, field="name", reason="FIELD_REQUIRED")
    assert_status(required, INVALID, field="visibility")


async def test_a_missing_space_names_its_reason(community: Community, tenant: str) -> None:
    error = await rpc_error(
        community.stub.GetSpace(
            pb.GetSpaceRequest(space_id="no-such-space"),
            metadata=community.as_user(tenant, "u-ada"),
        )
    )
    assert_status(error, grpc.StatusCode.NOT_FOUND, reason="SPACE_NOT_FOUND")
