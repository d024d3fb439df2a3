"""The AIP helpers at the gRPC edge: a create's idempotency key (bound to a caller when
asked) and update masks."""

from __future__ import annotations

import pytest
from google.protobuf.field_mask_pb2 import FieldMask

from agora.catalog.v1 import catalog_pb2 as pb
from agora_core.errors import InvalidArgument
from agora_core.grpc.aip import create_request, update_paths

pytestmark = pytest.mark.unit


def _request(title: str, request_id: str = "r-1") -> pb.CreateItemRequest:
    return pb.CreateItemRequest(item=pb.ItemDraft(title=title), request_id=request_id)


def test_the_fingerprint_ignores_the_request_id_and_sees_everything_else() -> None:
    first = create_request("CreateItem", _request("A"))
    again = create_request("CreateItem", _request("A", request_id="r-2"))
    other = create_request("CreateItem", _request("B"))
    assert first is not None
    assert again is not None
    assert other is not None
    assert first.fingerprint == again.fingerprint
    assert first.fingerprint != other.fingerprint
    assert create_request("CreateItem", _request("A", request_id="")) is None


def test_a_key_bound_to_a_caller_differs_per_caller() -> None:
    plain = create_request("CreateItem", _request("A"))
    ada = create_request("CreateItem", _request("A"), caller="u-ada")
    ada_again = create_request("CreateItem", _request("A"), caller="u-ada")
    bob = create_request("CreateItem", _request("A"), caller="u-bob")
    prints = {k.fingerprint for k in (plain, ada, bob) if k is not None}
    assert len(prints) == 3
    assert ada == ada_again


def test_update_paths_reads_the_mask() -> None:
    allowed = {"title", "summary"}
    assert update_paths(FieldMask(), allowed) is None
    assert update_paths(FieldMask(paths=["*"]), allowed) == frozenset(allowed)
    assert update_paths(FieldMask(paths=["summary"]), allowed) == frozenset({"summary"})
    with pytest.raises(InvalidArgument) as refused:
        update_paths(FieldMask(paths=["summary", "status"]), allowed)
    assert refused.value.reason == "UNKNOWN_MASK_PATH"
    assert [v.field for v in refused.value.violations] == ["update_mask"]
