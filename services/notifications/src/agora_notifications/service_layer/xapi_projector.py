"""The xAPI projection as a consumer effect: one statement event per projected event.

The statement is written with its outgoing event in one insert whose ``_id`` is derived
from the statement id (itself uuid5 of the source event id): a redelivered event, or a
handler re-run after a crash, hits the duplicate key and emits nothing. The relay then
publishes the statement on ``agora.xapi.statements.v1`` keyed by the learner.

Published statement documents are purged after a retention window: they only guard
the short window between the handler's write and the consumer's processed-event
record, and a statement event repeated after that still carries the same ``ce_id`` and
statement id (consumers and the LRS dedupe on them).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from agora_contracts.events import EventRegistry
from agora_contracts.events.domains.xapi import StatementProjectedV1
from agora_contracts.xapi import to_statement
from agora_core.background import PeriodicTask
from agora_core.messaging.events import OutgoingEvent, ReceivedEvent
from agora_core.outbox import OutboxHint
from agora_core.outbox.entries import OUTBOX_FIELD
from agora_core.storage import Document
from agora_notifications.domain.xapi_profiles import XapiProfiles
from agora_notifications.service_layer.ports import Clock, RelayWaker

XAPI_STATEMENTS: Final = "xapi_statements"
SOURCE: Final = "/agora/notifications"


def statement_key(tenant_id: str, statement_id: str) -> str:
    return f"{tenant_id}:{statement_id}"


class XapiProjector:
    """Turns consumed events into statement events through this service's outbox."""

    def __init__(
        self,
        database: AsyncDatabase[Document],
        *,
        profiles: XapiProfiles,
        registry: EventRegistry,
        clock: Clock,
        relay: RelayWaker,
    ) -> None:
        self._statements = database[XAPI_STATEMENTS]
        self._profiles = profiles
        self._registry = registry
        self._clock = clock
        self._relay = relay

    async def handle(self, event: ReceivedEvent[Any]) -> bool:
        """Project ``event``; True if a new statement was written (False: none or known)."""
        tenant = event.tenant_id
        statement = to_statement(event.envelope, event.payload, self._profiles.for_tenant(tenant))
        if statement is None:
            return False
        learner = statement.actor.account.name
        outgoing = OutgoingEvent.create(
            StatementProjectedV1.of(statement),
            source=SOURCE,
            subject=str(statement.id),
            tenant_id=tenant,
            key=learner,
            actor_id=learner,
            traceparent=event.envelope.traceparent,
            time=statement.timestamp,
            # the statement id doubles as the event id: one statement, one event id
            event_id=statement.id,
            registry=self._registry,
        )
        document: Document = {
            "_id": statement_key(tenant, str(statement.id)),
            "tenant_id": tenant,
            "learner_id": learner,
            "verb": statement.verb.id,
            "source_event_id": event.event_id,
            "source_event_type": event.envelope.type,
            "created_at": self._clock.now(),
            OUTBOX_FIELD: [outgoing.to_document()],
        }
        try:
            await self._statements.insert_one(document)
        except DuplicateKeyError:
            return False
        self._relay.notify(OutboxHint(XAPI_STATEMENTS, document["_id"]))
        return True

    async def purge_published(self, older_than: datetime) -> int:
        """Delete statement documents already published and created before ``older_than``."""
        deleted = await self._statements.delete_many(
            {OUTBOX_FIELD: {"$size": 0}, "created_at": {"$lt": older_than}}
        )
        return int(deleted.deleted_count)


def xapi_retention(projector: XapiProjector, clock: Clock, window: timedelta) -> PeriodicTask:
    """The background purge of statement documents published more than ``window`` ago."""

    async def tick() -> int:
        return await projector.purge_published(clock.now() - window)

    return PeriodicTask("xapi-retention", tick, interval=60.0)
