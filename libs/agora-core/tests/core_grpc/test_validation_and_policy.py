"""Request validation, page tokens and method policies (pure, no I/O)."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from agora.testing.v1 import notes_pb2
from agora_core.errors import InvalidArgument
from agora_core.grpc.auth import Role
from agora_core.grpc.policy import ANY_AUTHENTICATED, PUBLIC_METHODS, MethodPolicy
from agora_core.grpc.validation import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    decode_page_token,
    encode_page_token,
    page_size,
    parse_request,
    timestamp_value,
)
from core_grpc.notes_servicer import NOTES_POLICY, NewNote, NotesCursor

pytestmark = pytest.mark.unit

NOTES = notes_pb2.DESCRIPTOR.services_by_name["NotesService"]


def violated_fields(error: InvalidArgument) -> list[str]:
    return [v.field for v in error.violations]


def test_parse_request_returns_the_model() -> None:
    assert parse_request(NewNote, title="  Hello ", body="b") == NewNote(title="Hello", body="b")


def test_parse_request_names_every_bad_field() -> None:
    with pytest.raises(InvalidArgument) as exc_info:
        parse_request(NewNote, title="", body="x" * 10_001)
    assert violated_fields(exc_info.value) == ["title", "body"]


@pytest.mark.parametrize(
    ("requested", "used"), [(0, DEFAULT_PAGE_SIZE), (1, 1), (500, 500), (10_000, MAX_PAGE_SIZE)]
)
def test_page_size_defaults_and_caps(requested: int, used: int) -> None:
    assert page_size(requested) == used


def test_negative_page_size_is_invalid() -> None:
    with pytest.raises(InvalidArgument) as exc_info:
        page_size(-1)
    assert violated_fields(exc_info.value) == ["page_size"]


def test_page_token_round_trips_and_is_url_safe() -> None:
    cursor = NotesCursor(after_time=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC), after_id="n1")
    token = encode_page_token(cursor)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_page_token(token, NotesCursor) == cursor
    assert decode_page_token("", NotesCursor) is None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "token",
    [
        "not base64!",
        "%%%%",
        _b64(b"not json"),
        _b64(b'{"after_time": "yesterday", "after_id": "n1"}'),
        _b64(b'{"after_time": "2026-01-01T00:00:00Z"}'),
        _b64(b'{"after_time": "2026-01-01T00:00:00Z", "after_id": "n1", "tenant": "other"}'),
        "é" * 10,
        "A" * 2000,
    ],
)
def test_damaged_page_tokens_are_invalid_arguments_on_page_token(token: str) -> None:
    with pytest.raises(InvalidArgument) as exc_info:
        decode_page_token(token, NotesCursor)
    assert violated_fields(exc_info.value) == ["page_token"]


def test_truncated_page_token_is_refused() -> None:
    cursor = NotesCursor(after_time=dt.datetime(2026, 1, 2, tzinfo=dt.UTC), after_id="n1")
    token = encode_page_token(cursor)
    with pytest.raises(InvalidArgument):
        decode_page_token(token[:-3], NotesCursor)


def test_timestamp_value_is_utc() -> None:
    moment = dt.datetime(2026, 5, 1, 8, 30, tzinfo=dt.UTC)
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    assert timestamp_value(stamp, "due_at") == moment


@pytest.mark.parametrize(
    ("seconds", "nanos"), [(2**62, 0), (-(2**62), 0), (253_402_300_800, 0), (0, -1), (0, 10**9)]
)
def test_timestamps_out_of_range_are_invalid_arguments(seconds: int, nanos: int) -> None:
    """Valid on the wire, not as a date: INVALID_ARGUMENT, not an internal error."""
    with pytest.raises(InvalidArgument) as exc_info:
        timestamp_value(Timestamp(seconds=seconds, nanos=nanos), "due_at")
    assert violated_fields(exc_info.value) == ["due_at"]


def test_service_policy_must_cover_exactly_the_service_methods() -> None:
    with pytest.raises(ValueError, match=r"without a rule \['DeleteNote'") as missing:
        MethodPolicy.for_service(
            NOTES,
            {
                "CreateNote": ANY_AUTHENTICATED,
                "GetNote": ANY_AUTHENTICATED,
                "ListNotes": ANY_AUTHENTICATED,
                "StreamNotes": ANY_AUTHENTICATED,
                "ImportNotes": ANY_AUTHENTICATED,
                "Typo": ANY_AUTHENTICATED,
            },
        )
    assert "rules for unknown methods ['Typo']" in str(missing.value)


def test_policy_lookup_is_by_full_method_name_and_fails_closed() -> None:
    assert NOTES_POLICY.roles_for("/agora.testing.v1.NotesService/DeleteNote") == frozenset(
        {Role.ADMIN}
    )
    assert NOTES_POLICY.roles_for("/agora.testing.v1.NotesService/GetNote") == ANY_AUTHENTICATED
    assert NOTES_POLICY.roles_for("/agora.testing.v1.NotesService/Unknown") is None
    assert NOTES_POLICY.is_public("/grpc.health.v1.Health/Check")
    assert not NOTES_POLICY.is_public("/agora.testing.v1.NotesService/GetNote")


def test_merging_policies_refuses_a_method_claimed_twice() -> None:
    other = MethodPolicy(rules={"/x.v1.OtherService/Do": frozenset({Role.MANAGER})})
    merged = NOTES_POLICY.merge(other)
    assert merged.roles_for("/x.v1.OtherService/Do") == frozenset({Role.MANAGER})
    assert merged.public == PUBLIC_METHODS
    with pytest.raises(ValueError, match="two policies"):
        merged.merge(other)
