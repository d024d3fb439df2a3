"""Errors in the Connect wire format, built from the same gRPC status the servicers abort with.

A call over Connect ends with exactly the status a native gRPC client would see: the
error-mapping interceptor aborts with a code, a message and a ``google.rpc.Status`` in
the ``grpc-status-details-bin`` trailer; :func:`error_from_status` reads them back and
:meth:`ConnectError.json_body` writes the Connect error JSON, whose ``details`` carry
each packed detail (``google.rpc.BadRequest`` field violations …) as Connect clients
expect: type name, base64 value and a readable ``debug`` copy.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import grpc
from google.protobuf import any_pb2, json_format
from google.rpc import status_pb2

STATUS_DETAILS_KEY: Final = "grpc-status-details-bin"

HTTP_STATUS: Final[dict[grpc.StatusCode, int]] = {
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
    grpc.StatusCode.UNAUTHENTICATED: 401,
}
"""HTTP status of a Connect unary error, per code (the Connect protocol's table)."""


def connect_code(code: grpc.StatusCode) -> str:
    """The Connect name of a gRPC code: ``INVALID_ARGUMENT`` → ``invalid_argument``."""
    return "canceled" if code is grpc.StatusCode.CANCELLED else code.name.lower()


@dataclass(frozen=True)
class ConnectError(Exception):
    """A failed call: code, message and the packed ``google.rpc`` details."""

    code: grpc.StatusCode
    message: str
    details: Sequence[any_pb2.Any] = field(default_factory=tuple)

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 500)

    def json_body(self) -> bytes:
        """The Connect error document (``{"code", "message", "details"}``)."""
        document: dict[str, Any] = {"code": connect_code(self.code)}
        if self.message:
            document["message"] = self.message
        if self.details:
            document["details"] = [_detail_json(detail) for detail in self.details]
        return json.dumps(document, separators=(",", ":")).encode()

    def status_details(self) -> bytes | None:
        """The serialized ``google.rpc.Status`` (for gRPC-Web trailers), None if no details."""
        if not self.details:
            return None
        status = status_pb2.Status(
            code=self.code.value[0], message=self.message, details=list(self.details)
        )
        return status.SerializeToString()


def error_from_status(
    code: grpc.StatusCode,
    message: str,
    trailing_metadata: Sequence[tuple[str, str | bytes]] | None,
) -> ConnectError:
    """The Connect error for the status a handler aborted with (details from trailers)."""
    details: tuple[any_pb2.Any, ...] = ()
    for key, value in trailing_metadata or ():
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            details = tuple(status_pb2.Status.FromString(value).details)
    return ConnectError(code, message, details)


def _detail_json(detail: any_pb2.Any) -> dict[str, Any]:
    type_name = detail.type_url.rpartition("/")[2]
    entry: dict[str, Any] = {
        "type": type_name,
        # Connect writes the bytes base64 without padding; its clients accept both.
        "value": base64.b64encode(detail.value).decode().rstrip("="),
    }
    try:
        readable = json_format.MessageToDict(detail)
    except (TypeError, KeyError, json_format.Error):
        return entry  # a detail type this process has no descriptor for: bytes only
    readable.pop("@type", None)
    entry["debug"] = readable
    return entry
