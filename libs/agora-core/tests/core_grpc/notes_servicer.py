"""A small tenant-scoped servicer for ``agora.testing.v1.NotesService``.

It exists to exercise the gRPC runtime the way a real service would: it reads the
caller from :func:`current_principal`, validates with :func:`parse_request`, raises
:mod:`agora_core.errors` instead of touching status codes, pages with opaque tokens,
and stores notes through a tenant-scoped repository (``TenantRepository`` over
FerretDB in the tests).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, Final, Protocol

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


class NoteStore(Protocol):
    """What the servicer needs from storage; ``TenantRepository`` provides it."""

    async def insert_one(self, document: Mapping[str, Any]) -> Any: ...

    async def find_one(self, query: Mapping[str, Any] | None = None) -> dict[str, Any] | None: ...

    async def find(
        self,
        query: Mapping[str, Any] | None = None,
        *,
        sort: Sequence[tuple[str, int]] | None = None,
        limit: int = 0,
        skip: int = 0,
    ) -> list[dict[str, Any]]: ...

    async def delete_one(self, query: Mapping[str, Any]) -> bool: ...


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


# Oldest first; the id breaks ties between notes created in the same millisecond.
_ORDER: Final = (("create_time", 1), ("_id", 1))


class NotesServicer(notes_pb2_grpc.NotesServiceServicer):
    """Notes kept per tenant; the tenant always comes from the caller's token."""

    def __init__(self, store_for_tenant: StoreForTenant, *, follow_poll_seconds: float = 0.05):
        self._store_for_tenant = store_for_tenant
        self._follow_poll_seconds = follow_poll_seconds
        self.open_streams = 0
        """StreamNotes calls still running; lets tests see cancellations arrive."""

    def _store(self) -> NoteStore:
        return self._store_for_tenant(current_principal().tenant_id)

    async def _create(self, note: NewNote) -> dict[str, Any]:
        document = {
            # Ordered by creation within the process: the tie-breaker of notes created
            # in the same millisecond keeps their order (a random id shuffled them).
            "_id": f"{time.time_ns():020d}{uuid.uuid4().hex[:8]}",
            "title": note.title,
            "body": note.body,
            "author_id": current_principal().subject,
            # BSON dates hold milliseconds; truncating here keeps cursors exact.
            "create_time": _now_ms(),
        }
        await self._store().insert_one(document)
        return document

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
        document = await self._store().find_one({"_id": request.note_id})
        if document is None:
            raise NotFound("note", request.note_id)
        return notes_pb2.GetNoteResponse(note=_to_proto(document))

    @override
    async def ListNotes(
        self, request: notes_pb2.ListNotesRequest, context: Context
    ) -> notes_pb2.ListNotesResponse:
        size = page_size(request.page_size)
        cursor = decode_page_token(request.page_token, NotesCursor)
        # One extra document tells whether another page exists.
        documents = await self._page(cursor, size + 1)
        next_token = ""
        if len(documents) > size:
            documents = documents[:size]
            last = documents[-1]
            next_token = encode_page_token(
                NotesCursor(after_time=last["create_time"], after_id=last["_id"])
            )
        return notes_pb2.ListNotesResponse(
            notes=[_to_proto(d) for d in documents], next_page_token=next_token
        )

    @override
    async def DeleteNote(
        self, request: notes_pb2.DeleteNoteRequest, context: Context
    ) -> notes_pb2.DeleteNoteResponse:
        if not await self._store().delete_one({"_id": request.note_id}):
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
                documents = await self._page(cursor, 100)
                for document in documents:
                    yield notes_pb2.StreamNotesResponse(note=_to_proto(document))
                if documents:
                    last = documents[-1]
                    cursor = NotesCursor(after_time=last["create_time"], after_id=last["_id"])
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
        return notes_pb2.ImportNotesResponse(note_ids=[d["_id"] for d in created])

    async def _page(self, cursor: NotesCursor | None, limit: int) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if cursor is not None:
            query = {
                "$or": [
                    {"create_time": {"$gt": cursor.after_time}},
                    {"create_time": cursor.after_time, "_id": {"$gt": cursor.after_id}},
                ]
            }
        return await self._store().find(query, sort=_ORDER, limit=limit)


def _now_ms() -> dt.datetime:
    now = dt.datetime.now(dt.UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _to_proto(document: Mapping[str, Any]) -> notes_pb2.Note:
    create_time = Timestamp()
    create_time.FromDatetime(document["create_time"])
    return notes_pb2.Note(
        note_id=document["_id"],
        title=document["title"],
        body=document["body"],
        author_id=document["author_id"],
        create_time=create_time,
    )
