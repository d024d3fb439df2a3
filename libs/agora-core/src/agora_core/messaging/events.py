"""Events as they travel: an outgoing event ready for Kafka or the outbox, and a
received event handed to a handler after validation."""

from __future__ import annotations

import functools
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from agora_contracts.events import CloudEventEnvelope, EventPayload, EventRegistry, new_envelope
from agora_contracts.events.dataschema import DEFAULT_SCHEMA_BASE_URL, dataschema_url
from agora_contracts.events.registry import REGISTRY
from agora_core.tracing.propagation import current_trace_headers, new_unsampled_traceparent

P = TypeVar("P", bound=EventPayload)


class EventSchemaSettings(BaseSettings):
    """Platform-wide (no service prefix: every service of a deployment names the same
    published schemas): ``AGORA_EVENTS_SCHEMA_BASE_URL``."""

    model_config = SettingsConfigDict(env_prefix="AGORA_EVENTS_", extra="ignore", frozen=True)

    schema_base_url: str = Field(
        default=DEFAULT_SCHEMA_BASE_URL,
        pattern=r"^https?://[^\s]+$",
        max_length=300,
        description="Base URL where docs/events/schemas/ is published (ce_dataschema).",
    )


@functools.cache
def schema_base_url() -> str:
    """Base URL of the published event schemas (read once per process)."""
    return EventSchemaSettings().schema_base_url


@dataclass(frozen=True)
class OutgoingEvent:
    """An event serialised for Kafka: topic, partition key, ce_* headers, JSON value."""

    event_id: str
    topic: str
    key: str
    headers: dict[str, str]
    value: bytes

    @classmethod
    def create(
        cls,
        payload: EventPayload,
        *,
        source: str,
        subject: str,
        tenant_id: str,
        key: str | None = None,
        actor_id: str | None = None,
        traceparent: str | None = None,
        tracestate: str | None = None,
        time: datetime | None = None,
        event_id: uuid.UUID | None = None,
        registry: EventRegistry = REGISTRY,
    ) -> OutgoingEvent:
        """Build the event for ``payload``; its type and topic come from the registry.

        ``key`` defaults to ``subject``: the aggregate whose order matters. Without a
        ``traceparent`` the event carries the current trace context (the gRPC call or
        the consumed event being handled), so its consumers continue that trace;
        outside both, a new trace of its own (not sampled): every event carries one.
        ``dataschema`` is the URL of the type's published JSON Schema.
        """
        spec = registry.spec_for(type(payload))
        if traceparent is None:
            traceparent, tracestate = current_trace_headers()
            # Outside any call or consumed event (a scheduled job): a trace of its own.
            traceparent = traceparent or new_unsampled_traceparent()
        envelope = new_envelope(
            type=spec.event_type,
            source=source,
            subject=subject,
            tenant_id=tenant_id,
            actor_id=actor_id,
            traceparent=traceparent,
            tracestate=tracestate,
            time=time,
            event_id=event_id,
            dataschema=dataschema_url(spec.event_type, schema_base_url()),
        )
        return cls(
            event_id=str(envelope.id),
            topic=spec.topic,
            key=key or subject,
            headers=envelope.to_headers(),
            value=payload.model_dump_json().encode("utf-8"),
        )

    def payload_json(self) -> Any:
        return json.loads(self.value)


@dataclass(frozen=True)
class ReceivedEvent(Generic[P]):
    """A validated event as a handler sees it, with where it came from."""

    envelope: CloudEventEnvelope
    payload: P
    topic: str
    partition: int
    offset: int
    key: str | None

    @functools.cached_property
    def event_id(self) -> str:
        # Read several times per event by consumers: formatted once.
        return str(self.envelope.id)

    @property
    def tenant_id(self) -> str:
        return self.envelope.tenantid
