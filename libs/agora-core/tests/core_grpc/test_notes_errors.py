"""Errors raised by handlers reach clients as exact codes with useful details; tenants
never see each other's data; size limits and deadlines hold."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Mapping
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from prometheus_client import REGISTRY
from pymongo.asynchronous.database import AsyncDatabase
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from agora.testing.v1 import notes_pb2
from agora_core.storage import Document, TenantRepository, create_mongo_client
from agora_core.testing import eventually
from core_grpc.conftest import NotesEndpoint, StartNotes
from core_grpc.helpers import assert_status, caller, field_violations, rich_status, rpc_error
from core_grpc.notes_servicer import NOTES_SERVICE_NAME, NotesServicer

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
    assert_status(error, INVALID_ARGUMENT, field=field)
    assert list(field_violations(error)) == [field]


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
    notes: NotesEndpoint, database: AsyncDatabase[Document]
) -> None:
    # A document written by some other (buggy) code path: no title, no author.
    acme_notes = TenantRepository(database["notes"], "acme")
    await acme_notes.insert_one({"_id": "broken", "create_time": "not a date"})
    request = notes_pb2.GetNoteRequest(note_id="broken")
    with capture_logs(processors=[merge_contextvars]) as logs:
        error = await rpc_error(notes.stub.GetNote(request, metadata=caller(subject="ana")))
    assert_status(error, grpc.StatusCode.INTERNAL)
    assert error.details() == "internal error"
    # The operator gets the whole story, with the caller in context.
    [logged] = [entry for entry in logs if entry["event"] == "grpc.unhandled_error"]
    assert logged["method"] == "GetNote"
    assert (logged["tenant"], logged["subject"]) == ("acme", "ana")
    assert logged["exc_info"] is True


async def test_unreachable_database_is_unavailable(start_notes: StartNotes) -> None:
    # Nothing listens on port 9 (discard); server selection gives up quickly.
    client = create_mongo_client("mongodb://127.0.0.1:9/", timeout_ms=200)
    server = await start_notes(
        store_for_tenant=lambda tenant: TenantRepository(client["agora"]["notes"], tenant)
    )
    try:
        request = notes_pb2.GetNoteRequest(note_id="n")
        error = await rpc_error(server.stub.GetNote(request, metadata=caller()))
        assert_status(error, grpc.StatusCode.UNAVAILABLE)
    finally:
        await client.close()


class _FanOutNotes(TenantRepository):
    """Reads the note and its neighbour concurrently in a TaskGroup, as gamification's
    board writer does: a failure then arrives wrapped in an ExceptionGroup."""

    async def find_one(self, query: Mapping[str, Any] | None = None) -> Document | None:
        async with asyncio.TaskGroup() as group:
            found = group.create_task(super().find_one(query))
            group.create_task(super().find_one({"_id": "neighbour"}))
        return found.result()


async def test_unreachable_database_behind_a_task_group_is_unavailable(
    start_notes: StartNotes,
) -> None:
    """Not INTERNAL: clients retry UNAVAILABLE (the wrapping of tests/faults finding 3)."""
    client = create_mongo_client("mongodb://127.0.0.1:9/", timeout_ms=200)
    server = await start_notes(
        store_for_tenant=lambda tenant: _FanOutNotes(client["agora"]["notes"], tenant)
    )
    try:
        request = notes_pb2.GetNoteRequest(note_id="n")
        error = await rpc_error(server.stub.GetNote(request, metadata=caller()))
        assert_status(error, grpc.StatusCode.UNAVAILABLE)
    finally:
        await client.close()


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
