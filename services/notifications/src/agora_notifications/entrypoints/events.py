"""Event subscription: every platform event type goes through :class:`Intake` (and,
for the types xAPI projects, :class:`XapiProjection`) in the poll's transaction.

One consumer (one consumer group) handles every topic: notification triggers,
projections, webhook fan-out and statements all commit with the batch's processed
marks, so a second consumer in the same group could not skip events the first one
recorded.
"""

from __future__ import annotations

from typing import Any

from agora_contracts.events import EventRegistry
from agora_contracts.xapi import projects
from agora_core.messaging.batch_consumer import BatchEventHandler
from agora_core.messaging.events import ReceivedEvent
from agora_core.postgres import UnitOfWork as CoreUnitOfWork
from agora_notifications.adapters.postgres.unit_of_work import bound
from agora_notifications.service_layer.event_intake import Intake
from agora_notifications.service_layer.xapi_projection import XapiProjection


def event_handlers(
    registry: EventRegistry, intake: Intake, projection: XapiProjection | None
) -> dict[str, BatchEventHandler]:
    """A handler for every registered event type (webhooks may subscribe to any)."""

    async def on_event(event: ReceivedEvent[Any], core: CoreUnitOfWork) -> None:
        await intake.handle(event, await bound(core, event.tenant_id))

    async def on_projected_event(event: ReceivedEvent[Any], core: CoreUnitOfWork) -> None:
        uow = await bound(core, event.tenant_id)
        await intake.handle(event, uow)
        assert projection is not None
        await projection.handle(event, uow)

    return {
        spec.event_type: (
            on_projected_event if projection is not None and projects(spec.payload) else on_event
        )
        for spec in registry
    }
