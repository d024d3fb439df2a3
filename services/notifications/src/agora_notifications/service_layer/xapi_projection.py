"""The xAPI projection in the consumer batch's unit of work: one statement event per
projected event.

The statement row (keyed by the statement id, itself uuid5 of the source event id) and
its ``StatementProjectedV1`` outbox row commit with the batch's processed marks: a
redelivered event, or a handler re-run, finds the statement stored and emits nothing.
The relay publishes it on ``agora.xapi.statements.v1`` keyed by the learner. Stored
statements only guard that window (and read back a person's for erasure tests): they
are purged after a retention window, per tenant this process projected for.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

from agora_contracts.events import EventRegistry
from agora_contracts.events.domains.xapi import StatementProjectedV1
from agora_contracts.xapi import to_statement
from agora_core.background import PeriodicTask
from agora_core.messaging.events import OutgoingEvent, ReceivedEvent
from agora_notifications.domain.xapi_profiles import XapiProfiles
from agora_notifications.service_layer.ports import Clock

SOURCE: Final = "/agora/notifications"


class XapiStatements(Protocol):
    """One tenant's stored statements."""

    async def add_once(
        self,
        statement_id: uuid.UUID,
        *,
        actor_id: str,
        verb: str,
        stored_at: datetime,
        statement: dict[str, Any],
    ) -> bool: ...

    async def purge_before(self, cutoff: datetime) -> int: ...


class XapiUnitOfWork(Protocol):
    @property
    def xapi_statements(self) -> XapiStatements: ...

    def add_events(self, events: Sequence[OutgoingEvent]) -> None: ...


class XapiProjection:
    """Turns consumed events into statement events through this service's outbox."""

    def __init__(self, *, profiles: XapiProfiles, registry: EventRegistry, clock: Clock) -> None:
        self._profiles = profiles
        self._registry = registry
        self._clock = clock
        self.tenants: set[str] = set()
        """The tenants this process stored statements for (the purge visits them)."""

    async def handle(self, event: ReceivedEvent[Any], uow: XapiUnitOfWork) -> bool:
        """Project ``event``; True if a new statement was stored (False: none or known)."""
        tenant = event.tenant_id
        statement = to_statement(event.envelope, event.payload, self._profiles.for_tenant(tenant))
        if statement is None:
            return False
        learner = statement.actor.account.name
        stored = await uow.xapi_statements.add_once(
            statement.id,
            actor_id=learner,
            verb=statement.verb.id,
            stored_at=self._clock.now(),
            statement=statement.model_dump(mode="json"),
        )
        if not stored:
            return False
        self.tenants.add(tenant)
        uow.add_events(
            [
                OutgoingEvent.create(
                    StatementProjectedV1.of(statement),
                    source=SOURCE,
                    subject=str(statement.id),
                    tenant_id=tenant,
                    key=learner,
                    actor_id=learner,
                    traceparent=event.envelope.traceparent,
                    time=statement.timestamp,
                    # the statement id doubles as the event id: one statement, one id
                    event_id=statement.id,
                    registry=self._registry,
                )
            ]
        )
        return True


UnitsOfWork = Callable[[str], AbstractAsyncContextManager[XapiUnitOfWork]]


async def purge_stored(
    projection: XapiProjection, units: UnitsOfWork, cutoff: datetime
) -> AsyncIterator[int]:
    """Each visited tenant's statements stored before ``cutoff`` deleted; how many."""
    for tenant in sorted(projection.tenants):
        async with units(tenant) as uow:
            yield await uow.xapi_statements.purge_before(cutoff)


def xapi_retention(
    projection: XapiProjection, units: UnitsOfWork, clock: Clock, window: timedelta
) -> PeriodicTask:
    """The background purge of statements stored more than ``window`` ago."""

    async def tick() -> int:
        return sum([n async for n in purge_stored(projection, units, clock.now() - window)])

    return PeriodicTask("xapi-retention", tick, interval=60.0)
