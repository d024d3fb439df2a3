"""A small tenant-scoped servicer for ``agora.testing.v1.NotesService``.

It exists to exercise the gRPC runtime the way a real service would: it reads the
caller from :func:`current_principal`, validates with :func:`parse_request`, raises
:mod:`agora_core.errors` instead of touching status codes, pages with opaque tokens,
and stores notes through a tenant-scoped repository that hands it :class:`Note`
objects (``core_grpc.notes_store.PostgresNotes`` on PostgreSQL in the tests).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Final, Protocol

from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import override

from agora.testing.v1 import notes_pb2, notes_pb2_grpc
from agora_core.errors import InvalidArgument, NotFound
from agora_core.grpc.auth import Role, current_principal
from agora_core.grpc.handler_wrapping import Context
from agora_core.grpc.policy import ANY_AUTHENTICATED, MethodPolicy
from agora_core.grpc.validation import (
    PageCursor,
    decode_page_token,
    encode_page_token,
    page_size,
    parse_request,
)

NOTES_SERVICE: Final = notes_pb2.DESCRIPTOR.services_by_name["NotesService"]
NOTES_SERVICE_NAME: Final[str] = NOTES_SERVICE.full_name
MAX_TITLE_LENGTH: Final = 200
MAX_BODY_LENGTH: Final = 10_000
MAX_IMPORT: Final = 500

WRITERS: Final = frozenset({Role.CONTRIBUTOR, Role.EXPERT, Role.MANAGER, Role.ADMIN})

NOTES_POLICY: Final = MethodPolicy.for_service(
    NOTES_SERVICE,
    {
        "CreateNote": WRITERS,
        "GetNote": ANY_AUTHENTICATED,
        "ListNotes": ANY_AUTHENTICATED,
        "DeleteNote": {Role.ADMIN},
        "StreamNotes": ANY_AUTHENTICATED,
        "ImportNotes": WRITERS,
    },
)


@dataclass(frozen=True)
class Note:
    """A stored note."""

    note_id: str
    title: str
    body: str
    author_id: str
    create_time: dt.datetime


class NoteStore(Protocol):
    """What the servicer needs from one tenant's storage."""

    async def add(self, note: Note) -> None: ...

    async def get(self, note_id: str) -> Note | None: ...

    async def page(self, after: tuple[dt.datetime, str] | None, limit: int) -> list[Note]:
        """Oldest first (create time, then id), strictly after ``after``."""
        ...

    async def delete(self, note_id: str) -> bool: ...


StoreForTenant = Callable[[str], NoteStore]


class NewNote(BaseModel):
    """A note as a client submits it."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=MAX_TITLE_LENGTH)
    body: str = Field(default="", max_length=MAX_BODY_LENGTH)


class NotesCursor(PageCursor):
    """Where the next page starts: after this (create_time, note_id)."""

    after_time: dt.datetime
    after_id: str = Field(min_length=1, max_length=64)


class NotesServicer(notes_pb2_grpc.NotesServiceServicer):
    """Notes kept per tenant; the tenant always comes from the caller's token."""

    def __init__(self, store_for_tenant: StoreForTenant, *, follow_poll_seconds: float = 0.05):
        self._store_for_tenant = store_for_tenant
        self._follow_poll_seconds = follow_poll_seconds
        self.open_streams = 0
        """StreamNotes calls still running; lets tests see cancellations arrive."""

    def _store(self) -> NoteStore:
        return self._store_for_tenant(current_principal().tenant_id)

    async def _create(self, new: NewNote) -> Note:
        note = Note(
            # Ordered by creation within the process: the tie-breaker of notes created
            # in the same millisecond keeps their order (a random id shuffled them).
            note_id=f"{time.time_ns():020d}{uuid.uuid4().hex[:8]}",
            title=new.title,
            body=new.body,
            author_id=current_principal().subject,
            # Milliseconds, as protobuf clients round-trip them: keeps cursors exact.
            create_time=_now_ms(),
        )
        await self._store().add(note)
        return note

    @override
    async def CreateNote(
        self, request: notes_pb2.CreateNoteRequest, context: Context
    ) -> notes_pb2.CreateNoteResponse:
        note = parse_request(NewNote, title=request.title, body=request.body)
        return notes_pb2.CreateNoteResponse(note=_to_proto(await self._create(note)))

    @override
    async def GetNote(
        self, request: notes_pb2.GetNoteRequest, context: Context
    ) -> notes_pb2.GetNoteResponse:
        note = await self._store().get(request.note_id)
        if note is None:
            raise NotFound("note", request.note_id)
        return notes_pb2.GetNoteResponse(note=_to_proto(note))

    @override
    async def ListNotes(
        self, request: notes_pb2.ListNotesRequest, context: Context
    ) -> notes_pb2.ListNotesResponse:
        size = page_size(request.page_size)
        cursor = decode_page_token(request.page_token, NotesCursor)
        # One extra document tells whether another page exists.
        notes = await self._page(cursor, size + 1)
        next_token = ""
        if len(notes) > size:
            notes = notes[:size]
            last = notes[-1]
            next_token = encode_page_token(
                NotesCursor(after_time=last.create_time, after_id=last.note_id)
            )
        return notes_pb2.ListNotesResponse(
            notes=[_to_proto(n) for n in notes], next_page_token=next_token
        )

    @override
    async def DeleteNote(
        self, request: notes_pb2.DeleteNoteRequest, context: Context
    ) -> notes_pb2.DeleteNoteResponse:
        if not await self._store().delete(request.note_id):
            raise NotFound("note", request.note_id)
        return notes_pb2.DeleteNoteResponse()

    @override
    async def StreamNotes(
        self, request: notes_pb2.StreamNotesRequest, context: Context
    ) -> AsyncIterator[notes_pb2.StreamNotesResponse]:
        self.open_streams += 1
        try:
            cursor: NotesCursor | None = None
            while True:
                notes = await self._page(cursor, 100)
                for note in notes:
                    yield notes_pb2.StreamNotesResponse(note=_to_proto(note))
                if notes:
                    last = notes[-1]
                    cursor = NotesCursor(after_time=last.create_time, after_id=last.note_id)
                    continue
                if not request.follow:
                    return
                # Runs until grpc cancels this task (deadline or client gone).
                await asyncio.sleep(self._follow_poll_seconds)
        finally:
            self.open_streams -= 1

    @override
    async def ImportNotes(
        self, request_iterator: AsyncIterator[notes_pb2.ImportNotesRequest], context: Context
    ) -> notes_pb2.ImportNotesResponse:
        notes: list[NewNote] = []
        async for request in request_iterator:
            if len(notes) == MAX_IMPORT:
                raise InvalidArgument.single("requests", f"at most {MAX_IMPORT} notes per import")
            notes.append(parse_request(NewNote, title=request.title, body=request.body))
        created = [await self._create(note) for note in notes]
        return notes_pb2.ImportNotesResponse(note_ids=[n.note_id for n in created])

    async def _page(self, cursor: NotesCursor | None, limit: int) -> list[Note]:
        after = (cursor.after_time, cursor.after_id) if cursor is not None else None
        return await self._store().page(after, limit)


def _now_ms() -> dt.datetime:
    now = dt.datetime.now(dt.UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _to_proto(note: Note) -> notes_pb2.Note:
    create_time = Timestamp()
    create_time.FromDatetime(note.create_time)
    return notes_pb2.Note(
        note_id=note.note_id,
        title=note.title,
        body=note.body,
        author_id=note.author_id,
        create_time=create_time,
    )
