"""Framing of the two HTTP protocols: Connect unary and gRPC-Web (binary, text, JSON).

Message bytes are the servicers' own protobuf messages; JSON is the canonical proto3
JSON mapping (``google.protobuf.json_format``), which Connect-ES and every Connect
client speak.
"""

from __future__ import annotations

import base64
import enum
import gzip
import json
import re
import struct
import urllib.parse
import zlib
from typing import Any, Final

import grpc
from google.protobuf import json_format
from google.protobuf.message import DecodeError

from agora_core.connect.errors import STATUS_DETAILS_KEY, ConnectError
from agora_core.connect.methods import Method

_FRAME_HEADER = struct.Struct(">BI")
TRAILER_FLAG: Final = 0x80
COMPRESSED_FLAG: Final = 0x01
_GRPC_TIMEOUT = re.compile(r"^([0-9]{1,8})([HMSmun])$")
_GRPC_TIMEOUT_UNITS: Final = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}
# gRPC percent-encodes a status message except printable ASCII other than '%'.
_MESSAGE_SAFE: Final = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")


class Protocol(enum.Enum):
    CONNECT = "connect"
    GRPC_WEB = "grpc-web"
    GRPC_WEB_TEXT = "grpc-web-text"


class Encoding(enum.Enum):
    PROTO = "proto"
    JSON = "json"


CONTENT_TYPES: Final[dict[str, tuple[Protocol, Encoding]]] = {
    "application/proto": (Protocol.CONNECT, Encoding.PROTO),
    "application/json": (Protocol.CONNECT, Encoding.JSON),
    "application/grpc-web": (Protocol.GRPC_WEB, Encoding.PROTO),
    "application/grpc-web+proto": (Protocol.GRPC_WEB, Encoding.PROTO),
    "application/grpc-web+json": (Protocol.GRPC_WEB, Encoding.JSON),
    "application/grpc-web-text": (Protocol.GRPC_WEB_TEXT, Encoding.PROTO),
    "application/grpc-web-text+proto": (Protocol.GRPC_WEB_TEXT, Encoding.PROTO),
}
STREAMING_CONTENT_TYPES: Final = frozenset(
    {"application/connect+proto", "application/connect+json"}
)


def invalid(message: str) -> ConnectError:
    return ConnectError(grpc.StatusCode.INVALID_ARGUMENT, message)


def decode_message(method: Method, encoding: Encoding, body: bytes) -> Any:
    """The request message; INVALID_ARGUMENT when the bytes are not one."""
    if encoding is Encoding.PROTO:
        try:
            return method.parse_binary(body)
        except DecodeError as error:
            raise invalid(f"request is not a valid {method.request_type.__name__}") from error
    message = method.request_type()
    try:
        # Like Connect's own servers: fields this version does not know are ignored.
        json_format.Parse(body or b"{}", message, ignore_unknown_fields=True)
    except (json_format.ParseError, UnicodeDecodeError) as error:
        raise invalid(f"request JSON is invalid: {error}") from error
    return message


def encode_message(method: Method, encoding: Encoding, response: Any) -> bytes:
    if encoding is Encoding.PROTO:
        return method.serialize_binary(response)
    document = json_format.MessageToDict(response)
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def decompress(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """The body after its Content-Encoding (identity or gzip), at most ``limit`` bytes."""
    if content_encoding in (None, "", "identity"):
        return body
    if content_encoding != "gzip":
        raise ConnectError(
            grpc.StatusCode.UNIMPLEMENTED, f"content encoding {content_encoding!r} unsupported"
        )
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        inflated = inflater.decompress(body, limit + 1)
    except (zlib.error, gzip.BadGzipFile) as error:
        raise invalid("request body is not valid gzip") from error
    if len(inflated) > limit:
        raise too_large(limit)
    return inflated


def too_large(limit: int) -> ConnectError:
    return ConnectError(
        grpc.StatusCode.RESOURCE_EXHAUSTED, f"message larger than the limit of {limit} bytes"
    )


def connect_timeout(value: str | None) -> float | None:
    """Seconds from a ``Connect-Timeout-Ms`` header (at most 10 digits)."""
    if value is None:
        return None
    if not value.isdigit() or len(value) > 10:
        raise invalid("Connect-Timeout-Ms must be a positive integer of at most 10 digits")
    return int(value) / 1000


def grpc_timeout(value: str | None) -> float | None:
    """Seconds from a ``grpc-timeout`` header (``250m``, ``5S`` …)."""
    if value is None:
        return None
    match = _GRPC_TIMEOUT.match(value)
    if match is None:
        raise invalid(f"grpc-timeout {value!r} is malformed")
    return int(match.group(1)) * _GRPC_TIMEOUT_UNITS[match.group(2)]


def unframe(body: bytes) -> bytes:
    """The one message of a gRPC-Web request body."""
    if len(body) < _FRAME_HEADER.size:
        raise invalid("gRPC-Web request has no message frame")
    flags, length = _FRAME_HEADER.unpack_from(body)
    if flags & COMPRESSED_FLAG:
        raise ConnectError(grpc.StatusCode.UNIMPLEMENTED, "compressed messages unsupported")
    if len(body) != _FRAME_HEADER.size + length:
        raise invalid("gRPC-Web request must hold exactly one message")
    return body[_FRAME_HEADER.size :]


def frame(payload: bytes, *, trailer: bool = False) -> bytes:
    return _FRAME_HEADER.pack(TRAILER_FLAG if trailer else 0, len(payload)) + payload


def trailer_frame(error: ConnectError | None) -> bytes:
    """The closing trailer frame: ``grpc-status``, ``grpc-message`` and rich details."""
    if error is None:
        return frame(b"grpc-status: 0\r\n", trailer=True)
    lines = [
        f"grpc-status: {error.code.value[0]}",
        f"grpc-message: {urllib.parse.quote(error.message, safe=_MESSAGE_SAFE)}",
    ]
    details = error.status_details()
    if details is not None:
        encoded = base64.b64encode(details).decode()
        lines.append(f"{STATUS_DETAILS_KEY}: {encoded}")
    return frame("".join(f"{line}\r\n" for line in lines).encode(), trailer=True)


def text_decode(body: bytes) -> bytes:
    try:
        return base64.b64decode(body, validate=True)
    except ValueError as error:
        raise invalid("gRPC-Web text body is not base64") from error
