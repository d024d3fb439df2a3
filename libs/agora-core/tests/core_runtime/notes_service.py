"""A complete service process built the way every Agora service is: ServiceRuntime,
a gRPC API, an outbox written with each state change, and a consumer.

``python notes_service.py`` (PYTHONPATH = agora-core's tests dir) with AGORA_NOTES_*
variables. CreateNote stores the note and its ``note.created`` event in one write;
the relay publishes it; the service's own consumer counts notes per author.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core_grpc.notes_servicer import NOTES_POLICY, NOTES_SERVICE_NAME, NotesServicer
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from agora.testing.v1 import notes_pb2_grpc
from agora_contracts.events import EventPayload, EventRegistry, EventSpec
from agora_core.grpc.server import ServiceRegistration, create_grpc_server
from agora_core.messaging.events import OutgoingEvent, ReceivedEvent
from agora_core.outbox import OUTBOX_FIELD, OutboxRelay
from agora_core.runtime import ServiceRuntime, serve
from agora_core.settings import ServiceSettings
from agora_core.storage import IndexSpec, TenantRepository


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


class NotesWithOutbox(TenantRepository):
    """Notes whose insertion carries its event in the same document write."""

    def __init__(self, runtime: ServiceRuntime, tenant_id: str) -> None:
        super().__init__(runtime.database["notes"], tenant_id)
        self._registry = runtime.registry
        self._relay: OutboxRelay = runtime.relay

    async def insert_one(self, document: Mapping[str, Any]) -> Any:
        event = OutgoingEvent.create(
            NoteCreated(
                note_id=document["_id"], title=document["title"], author_id=document["author_id"]
            ),
            source="/agora/notes",
            subject=document["_id"],
            tenant_id=self.tenant_id,
            actor_id=document["author_id"],
            registry=self._registry,
        )
        inserted = await super().insert_one({**document, OUTBOX_FIELD: [event.to_document()]})
        self._relay.notify()
        return inserted


async def build(settings: NotesSettings) -> ServiceRuntime:
    registry = notes_registry(settings.topic_domain)
    runtime = ServiceRuntime(
        settings,
        indexes={
            "notes": [IndexSpec(keys=(("tenant_id", 1), ("create_time", 1), ("_id", 1)))],
            "authors": [IndexSpec(keys=(("tenant_id", 1), ("notes", -1)))],
        },
        outbox_collections=["notes"],
        registry=registry,
    )
    authors = runtime.database["authors"]

    async def count_note(event: ReceivedEvent[Any]) -> None:
        payload: NoteCreated = event.payload
        key = {"_id": f"{event.tenant_id}:{payload.author_id}"}
        await authors.update_one(
            key,
            {"$setOnInsert": {"tenant_id": event.tenant_id, "notes": 0, "applied": []}},
            upsert=True,
        )
        # Idempotent on the event id even if the processed-id record is lost.
        await authors.update_one(
            {**key, "applied": {"$ne": event.event_id}},
            {"$inc": {"notes": 1}, "$push": {"applied": event.event_id}},
        )

    spec = next(iter(registry))
    runtime.add_consumer([spec.topic], {spec.event_type: count_note})
    servicer = NotesServicer(lambda tenant: NotesWithOutbox(runtime, tenant))
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
    serve(NotesSettings, build)
