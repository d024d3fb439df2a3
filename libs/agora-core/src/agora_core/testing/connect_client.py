"""A small Connect client for tests: one unary call over real HTTP (httpx), JSON or binary.

Tests compare what a browser would get over Connect with what a gRPC client gets: the
same response message, or the same code, message and ``BadRequest`` field violations
(:func:`connect_field_violations`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import httpx
from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import error_details_pb2

from agora_core.grpc.client import bearer_metadata
from agora_core.grpc.dev_tokens import mint_dev_token

ResponseT = TypeVar("ResponseT", bound=Message)
Encoding = Literal["json", "proto"]

CONTENT_TYPES: dict[Encoding, str] = {"json": "application/json", "proto": "application/proto"}


@dataclass
class ConnectCallError(Exception):
    """A Connect error response: HTTP status, code, message and raw details."""

    http_status: int
    code: str
    message: str
    details: list[dict[str, object]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.http_status} {self.code}: {self.message}"


def dev_headers(secret: str, *, subject: str, tenant: str, roles: Iterable[str]) -> dict[str, str]:
    """``Authorization`` header of a dev-mode (HS256) token."""
    return dict(bearer_metadata(mint_dev_token(secret, subject, tenant, roles)))


async def connect_call(
    client: httpx.AsyncClient,
    base_url: str,
    method: str,
    request: Message,
    response_type: type[ResponseT],
    *,
    encoding: Encoding = "json",
    headers: dict[str, str] | None = None,
) -> ResponseT:
    """POST ``request`` to ``base_url + method`` (``/pkg.Service/Method``) and decode it.

    Raises :class:`ConnectCallError` for an error response; fails loudly when the
    response's content type is not the one asked for.
    """
    if encoding == "json":
        body = json.dumps(json_format.MessageToDict(request)).encode()
    else:
        body = request.SerializeToString()
    reply = await client.post(
        base_url + method,
        content=body,
        headers={
            "content-type": CONTENT_TYPES[encoding],
            "connect-protocol-version": "1",
            **(headers or {}),
        },
    )
    if reply.status_code != 200:
        document = reply.json()
        raise ConnectCallError(
            reply.status_code,
            str(document.get("code")),
            str(document.get("message", "")),
            list(document.get("details", [])),
        )
    content_type = reply.headers.get("content-type")
    assert content_type == CONTENT_TYPES[encoding], f"answered with {content_type!r}"
    response = response_type()
    if encoding == "json":
        json_format.Parse(reply.content, response)
    else:
        response.ParseFromString(reply.content)
    return response


def connect_field_violations(error: ConnectCallError) -> dict[str, str]:
    """Field → description of every ``google.rpc.BadRequest`` detail, decoded from bytes."""
    violations: dict[str, str] = {}
    for detail in error.details:
        if detail.get("type") != "google.rpc.BadRequest":
            continue
        value = str(detail["value"])
        bad_request = error_details_pb2.BadRequest.FromString(
            base64.b64decode(value + "=" * (-len(value) % 4))
        )
        violations.update({v.field: v.description for v in bad_request.field_violations})
    return violations
