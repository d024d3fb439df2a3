"""A complete service process built the way every Agora service is: ServiceRuntime,
a gRPC API, an outbox written with each state change, and a consumer.

``python notes_service.py`` (PYTHONPATH = agora-core's tests dir) with AGORA_NOTES_*
variables. CreateNote stores the note and its ``note.created`` event in one transaction
(PostgreSQL: the notes table and the outbox); the relay publishes it; the service's
own batch consumer counts notes per author.
"""

from __future__ import annotations

from typing import Any

from core_grpc.notes_servicer import NOTES_POLICY, NOTES_SERVICE_NAME, Note, NotesServicer
from core_grpc.notes_store import NOTES_MIGRATIONS, EventsFor, PostgresNotes
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from agora.testing.v1 import notes_pb2_grpc
from agora_contracts.events import EventPayload, EventRegistry, EventSpec
from agora_core.grpc.server import ServiceRegistration, create_grpc_server
from agora_core.messaging.events import OutgoingEvent, ReceivedEvent
from agora_core.postgres import UnitOfWork
from agora_core.runtime import ServiceRuntime
from agora_core.serve import serve
from agora_core.settings import ServiceSettings


class NotesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AGORA_NOTES_", extra="ignore", frozen=True)

    topic_domain: str = Field(default="testing", pattern=r"^[a-z][a-z0-9_]{0,40}$")


class NoteCreated(EventPayload):
    """A note was written."""

    note_id: str = Field(description="The new note.", examples=["n-1"])
    title: str = Field(description="Its title.", examples=["Kafka basics"])
    author_id: str = Field(description="Who wrote it.", examples=["user-1"])


def notes_registry(domain: str) -> EventRegistry:
    registry = EventRegistry()
    registry.register(
        EventSpec(
            f"org.agora.{domain}.note.created.v1",
            f"agora.{domain}.notes.v1",
            NoteCreated,
            "note_id",
            "A note was created.",
        )
    )
    return registry


def note_created(registry: EventRegistry) -> EventsFor:
    """The event of a new note, written to the outbox with it."""

    def events(note: Note, tenant_id: str) -> list[OutgoingEvent]:
        payload = NoteCreated(note_id=note.note_id, title=note.title, author_id=note.author_id)
        return [
            OutgoingEvent.create(
                payload,
                source="/agora/notes",
                subject=note.note_id,
                tenant_id=tenant_id,
                actor_id=note.author_id,
                registry=registry,
            )
        ]

    return events


async def count_note(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
    """Adds one to the author's count: not idempotent by itself, on purpose. Exactly
    once comes from the consumer's processed marks in the same transaction."""
    payload: NoteCreated = event.payload
    await uow.connection.execute(
        "INSERT INTO authors (tenant_id, author_id, notes) VALUES (%s, %s, 1) "
        "ON CONFLICT (tenant_id, author_id) DO UPDATE SET notes = authors.notes + 1",
        (event.tenant_id, payload.author_id),
    )


async def build(settings: NotesSettings) -> ServiceRuntime:
    registry = notes_registry(settings.topic_domain)
    runtime = ServiceRuntime(settings, registry=registry, migrations=NOTES_MIGRATIONS)
    database = runtime.require_postgres()
    spec = next(iter(registry))
    runtime.add_batch_consumer([spec.topic], {spec.event_type: count_note})
    events = note_created(registry)
    servicer = NotesServicer(lambda tenant: PostgresNotes(database, tenant, events))
    runtime.set_api(
        create_grpc_server(
            settings,
            registrations=[
                ServiceRegistration(notes_pb2_grpc.add_NotesServiceServicer_to_server, servicer)
            ],
            policy=NOTES_POLICY,
            service_names=[NOTES_SERVICE_NAME],
        )
    )
    return runtime


if __name__ == "__main__":
    serve(NotesSettings, build, migrations=NOTES_MIGRATIONS)
