"""Adds the xAPI projection to the service's event handlers.

The projection rides on the service's one consumer (one group, one processed-event
record, see :mod:`entrypoints.events`): for the event types it projects, the handler
first applies the notification effects, then writes the statement. Both are
idempotent on the event id, so a retry after a failure of either re-applies safely.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from agora_contracts.events import EventRegistry
from agora_contracts.xapi import projects
from agora_core.messaging.consumer import EventHandler
from agora_core.messaging.events import ReceivedEvent


class Projection(Protocol):
    """What the wiring needs of :class:`~service_layer.xapi_projector.XapiProjector`."""

    async def handle(self, event: ReceivedEvent[Any]) -> bool: ...


def with_xapi_projection(
    handlers: Mapping[str, EventHandler], registry: EventRegistry, projector: Projection
) -> dict[str, EventHandler]:
    """``handlers`` where every projected type also writes its statement."""
    combined = dict(handlers)
    for spec in registry:
        if not projects(spec.payload):
            continue
        handler = handlers.get(spec.event_type)

        async def project(
            event: ReceivedEvent[Any], handler: EventHandler | None = handler
        ) -> None:
            if handler is not None:
                await handler(event)
            await projector.handle(event)

        combined[spec.event_type] = project
    return combined
