"""Events this service publishes: the CloudEvents source and the tenant of the unit of work."""

from __future__ import annotations

from typing import Final

from agora_contracts.events import EventPayload
from agora_core.messaging.events import OutgoingEvent

SOURCE: Final = "/agora/community"


def outgoing(
    tenant_id: str, payload: EventPayload, *, subject: str, actor_id: str | None
) -> OutgoingEvent:
    """An event of this service for ``tenant_id``."""
    return OutgoingEvent.create(
        payload, source=SOURCE, subject=subject, tenant_id=tenant_id, actor_id=actor_id
    )
