"""Page tokens, and the streaming handler kinds (server- and client-streaming)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator

import grpc
import pytest

from agora.testing.v1 import notes_pb2
from core_grpc.conftest import NotesEndpoint
from core_grpc.helpers import Metadata, assert_status, caller, rpc_error

pytestmark = pytest.mark.integration


async def create_notes(notes: NotesEndpoint, count: int, metadata: Metadata) -> list[str]:
    ids = []
    for i in range(count):
        request = notes_pb2.CreateNoteRequest(title=f"note {i}", body=f"body {i}")
        ids.append((await notes.stub.CreateNote(request, metadata=metadata)).note.note_id)
    return ids


async def test_pages_cover_every_note_once_in_creation_order(notes: NotesEndpoint) -> None:
    me = caller()
    created = await create_notes(notes, 7, me)
    pages: list[list[str]] = []
    token = ""
    while True:
        request = notes_pb2.ListNotesRequest(page_size=3, page_token=token)
        response = await notes.stub.ListNotes(request, metadata=me)
        pages.append([n.note_id for n in response.notes])
        token = response.next_page_token
        if not token:
            break
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [note_id for page in pages for note_id in page] == created


async def test_zero_page_size_means_the_default(notes: NotesEndpoint) -> None:
    me = caller()
    await create_notes(notes, 3, me)
    response = await notes.stub.ListNotes(notes_pb2.ListNotesRequest(), metadata=me)
    assert len(response.notes) == 3
    assert response.next_page_token == ""


async def test_negative_page_size_is_invalid(notes: NotesEndpoint) -> None:
    request = notes_pb2.ListNotesRequest(page_size=-5)
    error = await rpc_error(notes.stub.ListNotes(request, metadata=caller()))
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="page_size")


def _tampered(token: str) -> list[str]:
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    return [
        token[:-4],  # truncated
        token[:10] + ("A" if token[10] != "A" else "B") + token[11:],  # one character flipped
        base64.urlsafe_b64encode(raw.replace(b"after_id", b"after_ix")).decode(),
        base64.urlsafe_b64encode(b'{"after_time": 1, "after_id": {}}').decode(),
        token + "!",
    ]


async def test_tampered_page_token_is_invalid_argument_naming_page_token(
    notes: NotesEndpoint,
) -> None:
    me = caller()
    await create_notes(notes, 3, me)
    first = await notes.stub.ListNotes(notes_pb2.ListNotesRequest(page_size=1), metadata=me)
    assert first.next_page_token
    for bad in _tampered(first.next_page_token):
        request = notes_pb2.ListNotesRequest(page_size=1, page_token=bad)
        error = await rpc_error(notes.stub.ListNotes(request, metadata=me))
        assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="page_token")


async def test_page_token_of_one_tenant_reveals_nothing_to_another(notes: NotesEndpoint) -> None:
    acme = caller(tenant="acme")
    await create_notes(notes, 3, acme)
    first = await notes.stub.ListNotes(notes_pb2.ListNotesRequest(page_size=1), metadata=acme)
    request = notes_pb2.ListNotesRequest(page_size=10, page_token=first.next_page_token)
    other = await notes.stub.ListNotes(request, metadata=caller(tenant="globex"))
    assert list(other.notes) == []


async def test_stream_sends_every_note_then_ends(notes: NotesEndpoint) -> None:
    me = caller()
    created = await create_notes(notes, 4, me)
    stream = notes.stub.StreamNotes(notes_pb2.StreamNotesRequest(), metadata=me)
    assert [r.note.note_id async for r in stream] == created


async def test_following_stream_sends_notes_created_later(notes: NotesEndpoint) -> None:
    me = caller()
    [first] = await create_notes(notes, 1, me)
    stream = notes.stub.StreamNotes(
        notes_pb2.StreamNotesRequest(follow=True), metadata=me, timeout=10
    )
    assert await next_note_id(stream) == first
    later = await notes.stub.CreateNote(notes_pb2.CreateNoteRequest(title="later"), metadata=me)
    assert await next_note_id(stream) == later.note.note_id
    stream.cancel()


async def next_note_id(
    stream: grpc.aio.UnaryStreamCall[notes_pb2.StreamNotesRequest, notes_pb2.StreamNotesResponse],
) -> str:
    response = await asyncio.wait_for(stream.read(), 5)
    assert isinstance(response, notes_pb2.StreamNotesResponse), f"stream ended: {response!r}"
    return response.note.note_id


async def _imports(*titles: str) -> AsyncIterator[notes_pb2.ImportNotesRequest]:
    for title in titles:
        yield notes_pb2.ImportNotesRequest(title=title, body="imported")


async def test_client_stream_imports_every_note(notes: NotesEndpoint) -> None:
    me = caller()
    response = await notes.stub.ImportNotes(_imports("a", "b", "c"), metadata=me)
    assert len(response.note_ids) == 3
    listed = await notes.stub.ListNotes(notes_pb2.ListNotesRequest(), metadata=me)
    assert [n.title for n in listed.notes] == ["a", "b", "c"]


async def test_client_stream_is_validated_and_authorised_like_unary_calls(
    notes: NotesEndpoint,
) -> None:
    error = await rpc_error(notes.stub.ImportNotes(_imports("ok", ""), metadata=caller()))
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="title")
    error = await rpc_error(notes.stub.ImportNotes(_imports("ok"), metadata=caller(["learner"])))
    assert_status(error, grpc.StatusCode.PERMISSION_DENIED)
    error = await rpc_error(notes.stub.ImportNotes(_imports("ok")))
    assert_status(error, grpc.StatusCode.UNAUTHENTICATED)
