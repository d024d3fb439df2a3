"""Hypothesis strategies for any protobuf request, built from its message descriptor.

Each field type has a strategy mixing ordinary values with the ones that break
services: empty, huge, control and bidi characters, NoSQL operators and path tricks in
strings; extremes in integers; NaN and infinities in floats; unknown numbers in enums;
oversize repeated fields; out-of-range timestamps; forged page tokens.
"""

from __future__ import annotations

import base64
import json
from functools import cache
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from hypothesis import strategies as st

from .rpc_methods import enum_numbers, is_map, message_type

MAX_DEPTH = 3
OVERSIZE_LIST = 1_500
"""Longer than any list a request may carry (the services bound them far lower)."""


def _token(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


NASTY_STRINGS = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n\t\x0b\x0c",
    "\u202eevil\u202c",
    "\ufeff",
    "\u0000\u0001\u001f\u007f",
    "🦄" * 50,
    "é" * 5_000,
    "x" * 300_000,
    "$where",
    "$gt",
    "a.b",
    '{"$gt": ""}',
    "../../etc/passwd",
    "%00%2e%2e/",
    "' OR '1'='1",
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "${jndi:ldap://x}",
    "{{7*7}}",
    "-1",
    "99999999999999999999999",
    "NaN",
    "2026-13-45T25:61:61Z",
    "Europe/Nowhere",
    "http://169.254.169.254/latest/meta-data/",
    "file:///etc/passwd",
    # Page tokens: garbage, well-formed JSON of the wrong shape, hostile values.
    "not-a-token!!",
    "====",
    _token({"offset": -5}),
    _token({"offset": 10**30}),
    _token({"offset": "1; drop"}),
    _token({"$gt": ""}),
    _token([1, 2, 3]),
    _token("x" * 2_000),
    base64.urlsafe_b64encode(b"\xff\xfe\x00garbage").decode(),
)

INT32_EDGES = (0, 1, -1, 2**31 - 1, -(2**31), 2**15, 10**6)
INT64_EDGES = (*INT32_EDGES, 2**63 - 1, -(2**63), 2**53 + 1)
UINT32_EDGES = (0, 1, 2**32 - 1)
UINT64_EDGES = (0, 1, 2**64 - 1)

_SIGNED32 = {FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SFIXED32}
_SIGNED64 = {FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_SINT64, FieldDescriptor.TYPE_SFIXED64}
_UNSIGNED32 = {FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32}
_UNSIGNED64 = {FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64}

TIMESTAMP = "google.protobuf.Timestamp"
# Timestamp's valid range is years 1 to 9999; outside it is still valid on the wire.
_TIMESTAMP_SECONDS = (-62_135_596_800, 253_402_300_799, 0, -1, 2**62, -(2**62))


def strings() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY_STRINGS),
        st.text(max_size=30),
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=300),
        st.from_regex(r"[a-z0-9-]{1,70}", fullmatch=True),
    )


def _scalar(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return strings()
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=200)
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind in _SIGNED32:
        return st.one_of(st.sampled_from(INT32_EDGES), st.integers(-(2**31), 2**31 - 1))
    if kind in _SIGNED64:
        return st.one_of(st.sampled_from(INT64_EDGES), st.integers(-(2**63), 2**63 - 1))
    if kind in _UNSIGNED32:
        return st.one_of(st.sampled_from(UINT32_EDGES), st.integers(0, 2**32 - 1))
    if kind in _UNSIGNED64:
        return st.one_of(st.sampled_from(UINT64_EDGES), st.integers(0, 2**64 - 1))
    if kind == FieldDescriptor.TYPE_DOUBLE:
        return st.floats()
    if kind == FieldDescriptor.TYPE_FLOAT:
        return st.floats(width=32)
    if kind == FieldDescriptor.TYPE_ENUM:
        known = enum_numbers(field)
        # proto3 enums are open: any int32 reaches the server as sent.
        return st.one_of(st.sampled_from(known), st.integers(-(2**31), 2**31 - 1))
    raise AssertionError(f"no strategy for field type {kind} ({field.full_name})")


def _single(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return messages(message_type(field), depth + 1)
    return _scalar(field)


def _field(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    if is_map(field):
        key_field = message_type(field).fields_by_name["key"]
        value_field = message_type(field).fields_by_name["value"]
        return st.dictionaries(_scalar(key_field), _single(value_field, depth), max_size=6)
    if not field.is_repeated:
        return _single(field, depth)
    element = _single(field, depth)
    return st.one_of(
        st.lists(element, max_size=6),
        # Oversize: one small element repeated, so the message stays under gRPC's limit.
        element.filter(lambda e: len(repr(e)) < 200).map(lambda e: [e] * OVERSIZE_LIST),
    )


def _timestamps() -> st.SearchStrategy[dict[str, int]]:
    return st.fixed_dictionaries(
        {
            "seconds": st.one_of(
                st.sampled_from(_TIMESTAMP_SECONDS),
                st.integers(1_500_000_000, 2_100_000_000),
            ),
            "nanos": st.one_of(st.just(0), st.integers(-(2**31), 2**31 - 1)),
        }
    )


@cache
def messages(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[Any]:
    """Keyword arguments for ``descriptor``'s message class (any subset of its fields)."""
    if descriptor.full_name == TIMESTAMP:
        return _timestamps()
    if depth >= MAX_DEPTH:
        return st.just({})
    return st.fixed_dictionaries(
        {}, optional={field.name: _field(field, depth) for field in descriptor.fields}
    )


def requests(descriptor: Descriptor) -> st.SearchStrategy[Message]:
    """Request messages of type ``descriptor``."""
    message_class = GetMessageClass(descriptor)
    return messages(descriptor).map(lambda fields: message_class(**fields))
