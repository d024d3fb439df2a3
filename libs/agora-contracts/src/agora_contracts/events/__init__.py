"""Agora's event contract: CloudEvents 1.0 envelope, payload base model, registry."""

from agora_contracts.events.envelope import (
    CONTENT_TYPE_JSON,
    SPEC_VERSION,
    CloudEventEnvelope,
    EnvelopeError,
    new_envelope,
)
from agora_contracts.events.payload import EventPayload
from agora_contracts.events.registry import REGISTRY, EventRegistry, EventSpec, UnknownEventType

__all__ = [
    "CONTENT_TYPE_JSON",
    "REGISTRY",
    "SPEC_VERSION",
    "CloudEventEnvelope",
    "EnvelopeError",
    "EventPayload",
    "EventRegistry",
    "EventSpec",
    "UnknownEventType",
    "new_envelope",
]
