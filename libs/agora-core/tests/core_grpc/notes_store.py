"""The Notes test service's storage on PostgreSQL: a repository per tenant.

The adapter is the only code that knows SQL; it hands the servicer :class:`Note`
objects. With ``events`` set, adding a note writes its event to the outbox in the same
transaction (the runtime's relay publishes it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

from agora_core.messaging.events import OutgoingEvent
from agora_core.postgres import Database
from agora_core.postgres.migrations import Migrations
from core_grpc.notes_servicer import Note

NOTES_MIGRATIONS: Final = Migrations(Path(__file__).resolve().parent / "notes_migrations")

EventsFor = Callable[[Note, str], Sequence[OutgoingEvent]]


class PostgresNotes:
    """One tenant's notes (the servicer's ``NoteStore``)."""

    def __init__(self, database: Database, tenant_id: str, events: EventsFor | None = None):
        self._database = database
        self._tenant_id = tenant_id
        self._events = events

    async def add(self, note: Note) -> None:
        async with self._database.unit_of_work(self._tenant_id) as uow:
            await uow.connection.execute(
                "INSERT INTO notes (tenant_id, note_id, title, body, author_id, create_time) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    self._tenant_id,
                    note.note_id,
                    note.title,
                    note.body,
                    note.author_id,
                    note.create_time,
                ),
            )
            if self._events is not None:
                uow.add_events(self._events(note, self._tenant_id))

    async def get(self, note_id: str) -> Note | None:
        async with self._database.unit_of_work(self._tenant_id) as uow:
            cursor = await uow.connection.execute(
                "SELECT note_id, title, body, author_id, create_time FROM notes "
                "WHERE tenant_id = %s AND note_id = %s",
                (self._tenant_id, note_id),
            )
            row = await cursor.fetchone()
        return _note(row) if row is not None else None

    async def page(self, after: tuple[dt.datetime, str] | None, limit: int) -> list[Note]:
        """Oldest first, after the keyset ``after`` (an index range scan)."""
        async with self._database.unit_of_work(self._tenant_id) as uow:
            if after is None:
                cursor = await uow.connection.execute(
                    "SELECT note_id, title, body, author_id, create_time FROM notes "
                    "WHERE tenant_id = %s "
                    "ORDER BY create_time, note_id LIMIT %s",
                    (self._tenant_id, limit),
                )
            else:
                cursor = await uow.connection.execute(
                    "SELECT note_id, title, body, author_id, create_time FROM notes "
                    "WHERE tenant_id = %s "
                    "AND (create_time, note_id) > (%s, %s) "
                    "ORDER BY create_time, note_id LIMIT %s",
                    (self._tenant_id, after[0], after[1], limit),
                )
            rows = await cursor.fetchall()
        return [_note(row) for row in rows]

    async def delete(self, note_id: str) -> bool:
        async with self._database.unit_of_work(self._tenant_id) as uow:
            cursor = await uow.connection.execute(
                "DELETE FROM notes WHERE tenant_id = %s AND note_id = %s",
                (self._tenant_id, note_id),
            )
            return cursor.rowcount > 0


def _note(row: tuple[Any, ...]) -> Note:
    note_id, title, body, author_id, create_time = row
    return Note(
        note_id=note_id, title=title, body=body, author_id=author_id, create_time=create_time
    )
