"""The ASGI application answering Connect and gRPC-Web calls with the gRPC servicers.

One POST per unary call: ``/<package>.<Service>/<Method>``. The content type picks the
protocol and the encoding (:data:`agora_core.connect.wire.CONTENT_TYPES`); the call
runs in process through the server's own interceptors (:mod:`agora_core.connect.call`),
so authentication, roles, error details, metrics and size limits are the gRPC ones.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

import grpc

from agora_core.connect.call import Metadata, invoke_unary
from agora_core.connect.cors import CorsPolicy, Headers
from agora_core.connect.errors import ConnectError
from agora_core.connect.methods import MethodTable
from agora_core.connect.wire import (
    CONTENT_TYPES,
    STREAMING_CONTENT_TYPES,
    Encoding,
    Protocol,
    connect_timeout,
    decode_message,
    decompress,
    encode_message,
    frame,
    grpc_timeout,
    invalid,
    text_decode,
    too_large,
    trailer_frame,
    unframe,
)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

# Protocol and transport headers are not call metadata (grpc does not pass them either).
_NOT_METADATA: Final = frozenset(
    {
        "host",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-type",
        "content-length",
        "content-encoding",
        "accept",
        "accept-encoding",
        "origin",
        "referer",
        "cookie",
        "grpc-timeout",
        "grpc-encoding",
        "grpc-accept-encoding",
        "x-grpc-web",
    }
)
_NOT_METADATA_PREFIXES: Final = ("connect-", "sec-", "access-control-", ":")


class ConnectApp:
    """Serves every unary method of ``table`` over Connect and gRPC-Web."""

    def __init__(self, table: MethodTable, cors: CorsPolicy, *, max_message_bytes: int) -> None:
        self._table = table
        self._cors = cors
        self._limit = max_message_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        headers = {
            key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]
        }
        origin = headers.get("origin")
        if scope["method"] == "OPTIONS":
            preflight = self._cors.preflight_headers(origin)
            await _respond(send, 204 if preflight is not None else 403, preflight or [], b"")
            return
        cors = self._cors.response_headers(origin)
        if scope["method"] != "POST":
            await _respond(send, 405, [*cors, (b"allow", b"POST")], b"")
            return
        content_type = headers.get("content-type", "").partition(";")[0].strip().lower()
        kind = CONTENT_TYPES.get(content_type)
        if kind is None:
            error = ConnectError(grpc.StatusCode.UNIMPLEMENTED, "streaming is served over gRPC")
            if content_type in STREAMING_CONTENT_TYPES:
                await _respond_connect_error(send, cors, error)
            else:
                accept = b", ".join(name.encode() for name in CONTENT_TYPES)
                await _respond(send, 415, [*cors, (b"accept-post", accept)], b"")
            return
        protocol, encoding = kind
        response_type = [(b"content-type", content_type.encode())]
        try:
            body = await self._call(scope["path"], protocol, encoding, headers, receive)
        except ConnectError as error:
            if protocol is Protocol.CONNECT:
                await _respond_connect_error(send, cors, error)
            else:
                await _respond_grpc_web(send, protocol, [*cors, *response_type], b"", error)
            return
        if protocol is Protocol.CONNECT:
            await _respond(send, 200, [*cors, *response_type], body)
        else:
            await _respond_grpc_web(send, protocol, [*cors, *response_type], frame(body), None)

    async def _call(
        self,
        path: str,
        protocol: Protocol,
        encoding: Encoding,
        headers: dict[str, str],
        receive: Receive,
    ) -> bytes:
        framed = protocol is not Protocol.CONNECT
        # gRPC-Web adds a 5-byte frame, its text form a third for base64.
        limit = self._limit + 5 if framed else self._limit
        body = await _read_body(
            receive, limit * 4 // 3 + 4 if protocol is Protocol.GRPC_WEB_TEXT else limit
        )
        if protocol is Protocol.CONNECT:
            version = headers.get("connect-protocol-version")
            if version is not None and version != "1":
                raise invalid(f"Connect-Protocol-Version {version!r} unsupported (expected 1)")
            body = decompress(body, headers.get("content-encoding"), self._limit)
            timeout = connect_timeout(headers.get("connect-timeout-ms"))
        else:
            body = unframe(text_decode(body) if protocol is Protocol.GRPC_WEB_TEXT else body)
            timeout = grpc_timeout(headers.get("grpc-timeout"))
        method = self._table.find(path)
        if method is None:
            what = "is streaming: call it over gRPC" if self._table.streaming(path) else "not found"
            raise ConnectError(grpc.StatusCode.UNIMPLEMENTED, f"method {path} {what}")
        request = decode_message(method, encoding, body)
        response = await invoke_unary(self._table, path, request, _metadata(headers), timeout)
        encoded = encode_message(method, encoding, response)
        if len(encoded) > self._limit:
            raise too_large(self._limit)
        return encoded


def _metadata(headers: dict[str, str]) -> Metadata:
    entries: list[tuple[str, str | bytes]] = []
    for key, value in headers.items():
        if key in _NOT_METADATA or key.startswith(_NOT_METADATA_PREFIXES):
            continue
        if key.endswith("-bin"):
            try:
                entries.append((key, base64.b64decode(value + "=" * (-len(value) % 4))))
            except ValueError:
                raise invalid(f"header {key} is not base64") from None
        else:
            entries.append((key, value))
    return tuple(entries)


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectError(grpc.StatusCode.CANCELLED, "client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _respond(send: Send, status: int, headers: Headers, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _respond_connect_error(send: Send, cors: Headers, error: ConnectError) -> None:
    headers = [*cors, (b"content-type", b"application/json")]
    await _respond(send, error.http_status, headers, error.json_body())


async def _respond_grpc_web(
    send: Send, protocol: Protocol, headers: Headers, body: bytes, error: ConnectError | None
) -> None:
    payload = body + trailer_frame(error)
    if protocol is Protocol.GRPC_WEB_TEXT:
        payload = base64.b64encode(payload)
    await _respond(send, 200, headers, payload)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
