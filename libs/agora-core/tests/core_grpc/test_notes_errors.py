"""Errors raised by handlers reach clients as exact codes with useful details; tenants
never see each other's data; size limits and deadlines hold."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from prometheus_client import REGISTRY
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from agora.testing.v1 import notes_pb2
from agora_core.grpc.status_details import error_info
from agora_core.postgres import Database, create_pool
from agora_core.testing import eventually
from core_grpc.conftest import NotesEndpoint, StartNotes
from core_grpc.helpers import assert_status, caller, field_violations, rich_status, rpc_error
from core_grpc.notes_servicer import NOTES_SERVICE_NAME, Note, NotesServicer
from core_grpc.notes_store import PostgresNotes

pytestmark = pytest.mark.integration

INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [
        ("", "body", "title"),
        ("   ", "body", "title"),
        ("t" * 201, "body", "title"),
        ("fine", "b" * 10_001, "body"),
    ],
)
async def test_bad_field_is_invalid_argument_with_a_bad_request_naming_it(
    notes: NotesEndpoint, title: str, body: str, field: str
) -> None:
    request = notes_pb2.CreateNoteRequest(title=title, body=body)
    error = await rpc_error(notes.stub.CreateNote(request, metadata=caller()))
    assert_status(error, INVALID_ARGUMENT, field=field, reason="INVALID_FIELD")
    assert list(field_violations(error)) == [field]
    info = error_info(error)
    assert info is not None
    assert (info.domain, dict(info.metadata)) == ("agora.testing", {"fields": field})


async def test_every_bad_field_is_reported_at_once(notes: NotesEndpoint) -> None:
    request = notes_pb2.CreateNoteRequest(title="", body="b" * 10_001)
    error = await rpc_error(notes.stub.CreateNote(request, metadata=caller()))
    assert_status(error, INVALID_ARGUMENT)
    violations = field_violations(error)
    assert sorted(violations) == ["body", "title"]
    assert "at least 1 character" in violations["title"]


async def test_unknown_id_is_not_found_with_resource_info(notes: NotesEndpoint) -> None:
    request = notes_pb2.GetNoteRequest(note_id="no-such-note")
    error = await rpc_error(notes.stub.GetNote(request, metadata=caller()))
    assert_status(error, NOT_FOUND)
    assert error.details() == "note 'no-such-note' not found"
    status = rich_status(error)
    assert status is not None
    resource = error_details_pb2.ResourceInfo()
    assert status.details[0].Unpack(resource)
    assert (resource.resource_type, resource.resource_name) == ("note", "no-such-note")
    info = error_info(error)
    assert info is not None
    assert (info.reason, info.domain) == ("NOTE_NOT_FOUND", "agora.testing")
    assert dict(info.metadata) == {"resource_type": "note", "resource_id": "no-such-note"}


async def test_another_tenants_note_is_never_returned(notes: NotesEndpoint) -> None:
    acme = caller(tenant="acme", subject="ana")
    globex = caller(["admin"], tenant="globex", subject="gus")
    created = await notes.stub.CreateNote(
        notes_pb2.CreateNoteRequest(title="acme only"), metadata=acme
    )
    note_id = created.note.note_id
    get = notes_pb2.GetNoteRequest(note_id=note_id)

    assert_status(await rpc_error(notes.stub.GetNote(get, metadata=globex)), NOT_FOUND)
    listed = await notes.stub.ListNotes(notes_pb2.ListNotesRequest(), metadata=globex)
    assert list(listed.notes) == []
    streamed = [
        r async for r in notes.stub.StreamNotes(notes_pb2.StreamNotesRequest(), metadata=globex)
    ]
    assert streamed == []
    delete = notes_pb2.DeleteNoteRequest(note_id=note_id)
    assert_status(await rpc_error(notes.stub.DeleteNote(delete, metadata=globex)), NOT_FOUND)

    # Still there, and visible to its own tenant.
    assert (await notes.stub.GetNote(get, metadata=acme)).note.title == "acme only"


async def test_unexpected_failure_is_internal_without_leaking_details(
    notes: NotesEndpoint, notes_database: Database
) -> None:
    # A row written by some other (buggy) code path: a date Python cannot represent.
    async with notes_database.unit_of_work("acme") as uow:
        await uow.connection.execute(
            "INSERT INTO notes (tenant_id, note_id, title, body, author_id, create_time) "
            "VALUES ('acme', 'broken', 't', '', 'ana', '12000-01-01T00:00:00Z')"
        )
    request = notes_pb2.GetNoteRequest(note_id="broken")
    with capture_logs(processors=[merge_contextvars]) as logs:
        error = await rpc_error(notes.stub.GetNote(request, metadata=caller(subject="ana")))
    assert_status(error, grpc.StatusCode.INTERNAL, reason="INTERNAL")
    assert error.details() == "internal error"
    # The operator gets the whole story, with the caller in context.
    [logged] = [entry for entry in logs if entry["event"] == "grpc.unhandled_error"]
    assert logged["method"] == "GetNote"
    assert (logged["tenant"], logged["subject"]) == ("acme", "ana")
    assert logged["exc_info"] is True


@contextlib.asynccontextmanager
async def _unreachable_database() -> AsyncIterator[Database]:
    # Nothing listens on port 9 (discard): every connection attempt is refused.
    pool = create_pool(
        "postgresql://agora:x@127.0.0.1:9/agora", application_name="notes-test", timeout=0.5
    )
    await pool.open(wait=False)
    try:
        yield Database(pool)
    finally:
        await pool.close()


async def test_unreachable_database_is_unavailable(start_notes: StartNotes) -> None:
    async with _unreachable_database() as database:
        server = await start_notes(store_for_tenant=lambda t: PostgresNotes(database, t))
        request = notes_pb2.GetNoteRequest(note_id="n")
        error = await rpc_error(server.stub.GetNote(request, metadata=caller()))
        assert_status(error, grpc.StatusCode.UNAVAILABLE, reason="BACKEND_UNAVAILABLE")


async def test_exhausted_pool_is_unavailable_within_the_callers_deadline(
    start_notes: StartNotes, postgres_dsn: str
) -> None:
    """Every connection busy: the call fails UNAVAILABLE after the pool's wait, never hangs."""
    pool = create_pool(postgres_dsn, application_name="notes-test", max_size=1, timeout=0.5)
    await pool.open()
    database = Database(pool)
    try:
        server = await start_notes(store_for_tenant=lambda t: PostgresNotes(database, t))
        async with pool.connection():  # the only connection, held by someone else
            started = asyncio.get_running_loop().time()
            call = server.stub.GetNote(
                notes_pb2.GetNoteRequest(note_id="n"), metadata=caller(), timeout=5.0
            )
            error = await rpc_error(call)
            waited = asyncio.get_running_loop().time() - started
        assert_status(error, grpc.StatusCode.UNAVAILABLE, reason="BACKEND_UNAVAILABLE")
        assert waited < 5.0  # the pool's wait, not the client's deadline, ended it
        # Released: the next call is served again.
        missing = await rpc_error(
            server.stub.GetNote(notes_pb2.GetNoteRequest(note_id="n"), metadata=caller())
        )
        assert_status(missing, NOT_FOUND)
    finally:
        await pool.close()


class _FanOutNotes(PostgresNotes):
    """Reads the note and its neighbour concurrently in a TaskGroup, as gamification's
    board writer does: a failure then arrives wrapped in an ExceptionGroup."""

    async def get(self, note_id: str) -> Note | None:
        async with asyncio.TaskGroup() as group:
            found = group.create_task(super().get(note_id))
            group.create_task(super().get("neighbour"))
        return found.result()


async def test_unreachable_database_behind_a_task_group_is_unavailable(
    start_notes: StartNotes,
) -> None:
    """Not INTERNAL: clients retry UNAVAILABLE (the wrapping of tests/faults finding 3)."""
    async with _unreachable_database() as database:
        server = await start_notes(store_for_tenant=lambda t: _FanOutNotes(database, t))
        request = notes_pb2.GetNoteRequest(note_id="n")
        error = await rpc_error(server.stub.GetNote(request, metadata=caller()))
        assert_status(error, grpc.StatusCode.UNAVAILABLE, reason="BACKEND_UNAVAILABLE")


async def test_oversize_message_is_resource_exhausted(start_notes: StartNotes) -> None:
    server = await start_notes(grpc_max_message_bytes=64 * 1024)
    request = notes_pb2.CreateNoteRequest(title="big", body="x" * 100_000)
    error = await rpc_error(server.stub.CreateNote(request, metadata=caller()))
    assert_status(error, grpc.StatusCode.RESOURCE_EXHAUSTED)


def _handled(method: str, code: str) -> float:
    labels = {"service": NOTES_SERVICE_NAME, "method": method, "code": code}
    return REGISTRY.get_sample_value("agora_grpc_server_handled_total", labels) or 0.0


async def test_deadline_cancels_the_handler_and_is_reported(notes: NotesEndpoint) -> None:
    before = _handled("StreamNotes", "DEADLINE_EXCEEDED")
    stream = notes.stub.StreamNotes(
        notes_pb2.StreamNotesRequest(follow=True), metadata=caller(), timeout=0.5
    )
    error = await rpc_error(_drain(stream))
    assert_status(error, grpc.StatusCode.DEADLINE_EXCEEDED)

    servicer: NotesServicer = notes.servicer

    async def handler_finished() -> bool:
        return servicer.open_streams == 0

    # The cancellation reached the servicer's generator (not swallowed by a wrapper) ...
    await eventually(handler_finished, timeout=5)
    # ... and the metrics wrapper saw it as a deadline.
    assert _handled("StreamNotes", "DEADLINE_EXCEEDED") == before + 1


async def _drain(stream: AsyncIterable[Any]) -> list[Any]:
    return [response async for response in stream]


async def test_client_cancellation_reaches_the_handler(notes: NotesEndpoint) -> None:
    stream = notes.stub.StreamNotes(notes_pb2.StreamNotesRequest(follow=True), metadata=caller())
    servicer = notes.servicer

    async def handler_running() -> bool:
        return servicer.open_streams == 1

    async def handler_finished() -> bool:
        return servicer.open_streams == 0

    await eventually(handler_running, timeout=5)
    stream.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stream.read()
    await eventually(handler_finished, timeout=5)
