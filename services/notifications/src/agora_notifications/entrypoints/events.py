"""Event subscription: every platform event type goes through :class:`EventIntake`.

One consumer (one consumer group) handles every topic: notification triggers,
projections and webhook fan-out all hang off the same processed-event record, so a
second consumer in the same group could not skip events the first one recorded.
"""

from __future__ import annotations

from typing import Any

from agora_contracts.events import EventRegistry
from agora_core.messaging.consumer import EventHandler
from agora_core.messaging.events import ReceivedEvent
from agora_notifications.service_layer.intake import EventIntake


def event_handlers(registry: EventRegistry, intake: EventIntake) -> dict[str, EventHandler]:
    """A handler for every registered event type (webhooks may subscribe to any)."""

    async def on_event(event: ReceivedEvent[Any]) -> None:
        await intake.handle(event)

    return {spec.event_type: on_event for spec in registry}
