"""Consumed events built in-process, for use cases driven without Kafka."""

from __future__ import annotations

import uuid
from typing import Any

from agora_contracts.events import CloudEventEnvelope
from agora_core.messaging.events import OutgoingEvent, ReceivedEvent


def received(payload: Any, *, tenant: str, subject: str) -> ReceivedEvent[Any]:
    """``payload`` as a consumer would receive it (a fresh event id)."""
    outgoing = OutgoingEvent.create(
        payload, source="/agora/catalog", subject=subject, tenant_id=tenant, event_id=uuid.uuid4()
    )
    return ReceivedEvent(
        envelope=CloudEventEnvelope.from_headers(outgoing.headers),
        payload=payload,
        topic=outgoing.topic,
        partition=0,
        offset=0,
        key=outgoing.key,
    )
