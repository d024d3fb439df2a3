"""The Notes servicers over Connect (JSON and binary, HTTP/1.1 and h2c) and gRPC-Web
answer exactly what native gRPC answers: same messages, same codes, same BadRequest
field violations, same role checks, metrics and size limits."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import gzip
import struct
from collections.abc import AsyncIterator

import grpc
import httpx
import pytest
from google.rpc import status_pb2
from prometheus_client import REGISTRY

from agora.testing.v1 import notes_pb2
from agora_core.testing.connect_client import (
    ConnectCallError,
    Encoding,
    connect_call,
    connect_field_violations,
)
from core_grpc.conftest import NotesEndpoint, StartNotes
from core_grpc.helpers import assert_status, caller, field_violations, rpc_error
from core_grpc.notes_servicer import Note

pytestmark = pytest.mark.integration

APP_ORIGIN = "https://learn.example.com"
CREATE = "/agora.testing.v1.NotesService/CreateNote"
GET = "/agora.testing.v1.NotesService/GetNote"
DELETE = "/agora.testing.v1.NotesService/DeleteNote"
STREAM = "/agora.testing.v1.NotesService/StreamNotes"


def auth(roles: tuple[str, ...] = ("contributor",), tenant: str = "acme") -> dict[str, str]:
    return dict(caller(roles, tenant=tenant))


@pytest.fixture
async def notes_connect(start_notes: StartNotes) -> NotesEndpoint:
    endpoint = await start_notes(
        connect_enabled=True,
        connect_port=0,
        connect_cors_allowed_origins=[APP_ORIGIN],
        grpc_max_message_bytes=64 * 1024,
    )
    assert endpoint.server.connect is not None
    return endpoint


def base_url(endpoint: NotesEndpoint) -> str:
    assert endpoint.server.connect is not None
    return endpoint.server.connect.url


@pytest.fixture(params=["HTTP/1.1", "HTTP/2"])
async def http(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    """A real HTTP client; HTTP/2 is cleartext with prior knowledge (h2c)."""
    http2 = request.param == "HTTP/2"
    # The header only tells the test which version this client must have spoken.
    expected = {"x-expected-http-version": request.param}
    async with httpx.AsyncClient(
        http1=not http2, http2=http2, timeout=10, headers=expected
    ) as client:
        yield client


@pytest.mark.parametrize("encoding", ["json", "proto"])
async def test_a_note_written_and_read_over_connect_is_the_one_grpc_reads(
    notes_connect: NotesEndpoint, http: httpx.AsyncClient, encoding: Encoding
) -> None:
    url = base_url(notes_connect)
    created = await connect_call(
        http,
        url,
        CREATE,
        notes_pb2.CreateNoteRequest(title="Connect", body="from a browser"),
        notes_pb2.CreateNoteResponse,
        encoding=encoding,
        headers=auth(),
    )
    request = notes_pb2.GetNoteRequest(note_id=created.note.note_id)
    over_connect = await connect_call(
        http, url, GET, request, notes_pb2.GetNoteResponse, encoding=encoding, headers=auth()
    )
    over_grpc = await notes_connect.stub.GetNote(request, metadata=caller())
    assert over_connect == over_grpc
    assert over_grpc.note.title == "Connect"
    reply = await http.post(
        url + GET,
        content=request.SerializeToString(),
        headers={"content-type": "application/proto", **auth()},
    )
    assert reply.http_version == http.headers["x-expected-http-version"]


@pytest.mark.parametrize("encoding", ["json", "proto"])
async def test_bad_fields_come_back_as_the_same_bad_request_details(
    notes_connect: NotesEndpoint, http: httpx.AsyncClient, encoding: Encoding
) -> None:
    request = notes_pb2.CreateNoteRequest(title="", body="b" * 10_001)
    native = await rpc_error(notes_connect.stub.CreateNote(request, metadata=caller()))
    assert_status(native, grpc.StatusCode.INVALID_ARGUMENT)
    with pytest.raises(ConnectCallError) as raised:
        await connect_call(
            http,
            base_url(notes_connect),
            CREATE,
            request,
            notes_pb2.CreateNoteResponse,
            encoding=encoding,
            headers=auth(),
        )
    error = raised.value
    assert (error.http_status, error.code) == (400, "invalid_argument")
    assert error.message == native.details()
    assert connect_field_violations(error) == field_violations(native)
    assert sorted(connect_field_violations(error)) == ["body", "title"]
    debug = error.details[0]["debug"]
    assert isinstance(debug, dict)
    assert {v["field"] for v in debug["fieldViolations"]} == {"body", "title"}


async def test_no_token_is_unauthenticated_and_a_missing_role_is_permission_denied(
    notes_connect: NotesEndpoint, http: httpx.AsyncClient
) -> None:
    url = base_url(notes_connect)
    request = notes_pb2.DeleteNoteRequest(note_id="n-1")
    native = await rpc_error(notes_connect.stub.DeleteNote(request))
    assert_status(native, grpc.StatusCode.UNAUTHENTICATED)
    with pytest.raises(ConnectCallError) as anonymous:
        await connect_call(http, url, DELETE, request, notes_pb2.DeleteNoteResponse)
    assert (anonymous.value.http_status, anonymous.value.code) == (401, "unauthenticated")
    assert anonymous.value.message == native.details()
    with pytest.raises(ConnectCallError) as learner:
        await connect_call(
            http, url, DELETE, request, notes_pb2.DeleteNoteResponse, headers=auth(("learner",))
        )
    assert (learner.value.http_status, learner.value.code) == (403, "permission_denied")
    forged = {"authorization": "Bearer not-a-jwt"}
    with pytest.raises(ConnectCallError) as bad_token:
        await connect_call(http, url, DELETE, request, notes_pb2.DeleteNoteResponse, headers=forged)
    assert bad_token.value.code == "unauthenticated"


async def test_tenants_stay_apart_over_connect(
    notes_connect: NotesEndpoint, http: httpx.AsyncClient
) -> None:
    url = base_url(notes_connect)
    created = await notes_connect.stub.CreateNote(
        notes_pb2.CreateNoteRequest(title="acme only", body=""), metadata=caller()
    )
    request = notes_pb2.GetNoteRequest(note_id=created.note.note_id)
    with pytest.raises(ConnectCallError) as raised:
        await connect_call(
            http, url, GET, request, notes_pb2.GetNoteResponse, headers=auth(tenant="globex")
        )
    assert (raised.value.http_status, raised.value.code) == (404, "not_found")
    assert raised.value.details[0]["type"] == "google.rpc.ResourceInfo"


def handled(method: str, code: str) -> float:
    labels = {"service": "agora.testing.v1.NotesService", "method": method, "code": code}
    return REGISTRY.get_sample_value("agora_grpc_server_handled_total", labels) or 0.0


async def test_connect_calls_are_counted_in_the_grpc_metrics(
    notes_connect: NotesEndpoint, http: httpx.AsyncClient
) -> None:
    ok_before = handled("GetNote", "OK")
    refused_before = handled("GetNote", "UNAUTHENTICATED")
    created = await notes_connect.stub.CreateNote(
        notes_pb2.CreateNoteRequest(title="counted", body=""), metadata=caller()
    )
    request = notes_pb2.GetNoteRequest(note_id=created.note.note_id)
    url = base_url(notes_connect)
    await connect_call(http, url, GET, request, notes_pb2.GetNoteResponse, headers=auth())
    with pytest.raises(ConnectCallError):
        await connect_call(http, url, GET, request, notes_pb2.GetNoteResponse)
    assert handled("GetNote", "OK") == ok_before + 1
    assert handled("GetNote", "UNAUTHENTICATED") == refused_before + 1


async def test_the_grpc_message_size_limit_holds_over_connect(
    notes_connect: NotesEndpoint, http: httpx.AsyncClient
) -> None:
    oversized = notes_pb2.CreateNoteRequest(title="big", body="x" * (70 * 1024))
    native = await rpc_error(notes_connect.stub.CreateNote(oversized, metadata=caller()))
    assert_status(native, grpc.StatusCode.RESOURCE_EXHAUSTED)
    with pytest.raises(ConnectCallError) as raised:
        await connect_call(
            http,
            base_url(notes_connect),
            CREATE,
            oversized,
            notes_pb2.CreateNoteResponse,
            encoding="proto",
            headers=auth(),
        )
    assert (raised.value.http_status, raised.value.code) == (429, "resource_exhausted")


async def test_malformed_json_is_invalid_argument_and_unknown_methods_unimplemented(
    notes_connect: NotesEndpoint, http: httpx.AsyncClient
) -> None:
    url = base_url(notes_connect)
    headers = {"content-type": "application/json", **auth()}
    reply = await http.post(url + CREATE, content=b'{"title": 3', headers=headers)
    assert (reply.status_code, reply.json()["code"]) == (400, "invalid_argument")
    reply = await http.post(
        url + "/agora.testing.v1.NotesService/Nope", content=b"{}", headers=headers
    )
    assert (reply.status_code, reply.json()["code"]) == (501, "unimplemented")
    reply = await http.post(url + STREAM, content=b"{}", headers=headers)
    assert reply.json()["code"] == "unimplemented"
    assert "gRPC" in reply.json()["message"]
    reply = await http.post(url + GET, content=b"{}", headers={"content-type": "text/plain"})
    assert reply.status_code == 415


async def test_cors_answers_only_the_configured_origins(
    notes_connect: NotesEndpoint, http: httpx.AsyncClient
) -> None:
    url = base_url(notes_connect)
    preflight = {
        "origin": APP_ORIGIN,
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
    }
    allowed = await http.options(url + GET, headers=preflight)
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "authorization" in allowed.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in allowed.headers
    refused = await http.options(url + GET, headers={**preflight, "origin": "https://evil.test"})
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers
    call = await http.post(
        url + GET,
        content=b"{}",
        headers={"content-type": "application/json", "origin": APP_ORIGIN, **auth()},
    )
    assert call.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "grpc-status-details-bin" in call.headers["access-control-expose-headers"]


def grpc_web_frames(body: bytes) -> list[tuple[int, bytes]]:
    frames = []
    while body:
        flags, length = struct.unpack(">BI", body[:5])
        frames.append((flags, body[5 : 5 + length]))
        body = body[5 + length :]
    return frames


def trailers(payload: bytes) -> dict[str, str]:
    lines = payload.decode().strip().split("\r\n")
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in lines)}


async def test_grpc_web_binary_and_text_give_the_grpc_answer(
    notes_connect: NotesEndpoint, http: httpx.AsyncClient
) -> None:
    url = base_url(notes_connect)
    created = await notes_connect.stub.CreateNote(
        notes_pb2.CreateNoteRequest(title="web", body=""), metadata=caller()
    )
    request = notes_pb2.GetNoteRequest(note_id=created.note.note_id)
    framed = struct.pack(">BI", 0, request.ByteSize()) + request.SerializeToString()
    reply = await http.post(
        url + GET, content=framed, headers={"content-type": "application/grpc-web+proto", **auth()}
    )
    (data_flags, data), (trailer_flags, trailer) = grpc_web_frames(reply.content)
    assert (data_flags, trailer_flags, trailers(trailer)["grpc-status"]) == (0, 0x80, "0")
    assert notes_pb2.GetNoteResponse.FromString(data) == await notes_connect.stub.GetNote(
        request, metadata=caller()
    )
    bad = notes_pb2.CreateNoteRequest(title="")
    framed = struct.pack(">BI", 0, bad.ByteSize()) + bad.SerializeToString()
    reply = await http.post(
        url + CREATE,
        content=base64.b64encode(framed),
        headers={"content-type": "application/grpc-web-text", **auth()},
    )
    [(flags, trailer)] = grpc_web_frames(base64.b64decode(reply.content))
    fields = trailers(trailer)
    assert flags == 0x80
    assert fields["grpc-status"] == str(grpc.StatusCode.INVALID_ARGUMENT.value[0])
    status = status_pb2.Status.FromString(base64.b64decode(fields["grpc-status-details-bin"]))
    assert status.details[0].type_url.endswith("google.rpc.BadRequest")


async def test_stopping_the_server_closes_the_connect_port(start_notes: StartNotes) -> None:
    endpoint = await start_notes(connect_enabled=True, connect_port=0)
    url = base_url(endpoint)
    await endpoint.server.stop(0)
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.post(
                url + GET, content=b"{}", headers={"content-type": "application/json"}
            )


class SlowNotes:
    """A store whose reads outlast any short deadline."""

    def __init__(self) -> None:
        self.cancelled = asyncio.Event()

    async def add(self, note: Note) -> None:
        raise AssertionError("not used")

    async def get(self, note_id: str) -> Note | None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        return None

    async def page(self, after: tuple[dt.datetime, str] | None, limit: int) -> list[Note]:
        raise AssertionError("not used")

    async def delete(self, note_id: str) -> bool:
        raise AssertionError("not used")


async def test_connect_timeout_cancels_the_handler_as_a_grpc_deadline_does(
    start_notes: StartNotes, http: httpx.AsyncClient
) -> None:
    slow = SlowNotes()
    endpoint = await start_notes(
        store_for_tenant=lambda _tenant: slow, connect_enabled=True, connect_port=0
    )
    expired_before = handled("GetNote", "DEADLINE_EXCEEDED")
    reply = await http.post(
        base_url(endpoint) + GET,
        content=b'{"noteId": "n-1"}',
        headers={"content-type": "application/json", "connect-timeout-ms": "200", **auth()},
    )
    assert (reply.status_code, reply.json()["code"]) == (504, "deadline_exceeded")
    await asyncio.wait_for(slow.cancelled.wait(), timeout=5)
    assert handled("GetNote", "DEADLINE_EXCEEDED") == expired_before + 1
    native = await rpc_error(
        endpoint.stub.GetNote(
            notes_pb2.GetNoteRequest(note_id="n-1"), metadata=caller(), timeout=0.2
        )
    )
    assert_status(native, grpc.StatusCode.DEADLINE_EXCEEDED)


async def test_a_gzip_request_body_is_accepted(
    notes_connect: NotesEndpoint, http: httpx.AsyncClient
) -> None:
    body = gzip.compress(b'{"title": "zipped", "body": "small"}')
    reply = await http.post(
        base_url(notes_connect) + CREATE,
        content=body,
        headers={"content-type": "application/json", "content-encoding": "gzip", **auth()},
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["note"]["title"] == "zipped"
    reply = await http.post(
        base_url(notes_connect) + CREATE,
        content=body,
        headers={"content-type": "application/json", "content-encoding": "br", **auth()},
    )
    assert (reply.status_code, reply.json()["code"]) == (501, "unimplemented")
