"""Examples for the events catalogue, built from real model instances: every contract
field carries an example, and the catalogue's examples are those values validated by the
model itself (so an example can never disagree with its schema)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Final

from agora_contracts.events.dataschema import dataschema_url
from agora_contracts.events.envelope import CloudEventEnvelope
from agora_contracts.events.payload import EventPayload
from agora_contracts.events.registry import EventRegistry, EventSpec
from agora_contracts.events.topology import producer_of

_EXAMPLE_TIME: Final = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
_EXAMPLE_TRACEPARENT: Final = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
_EXAMPLE_NAMESPACE: Final = uuid.UUID("0b7c3c52-8f6d-4e0a-9d1b-5e2f7c9a4d31")


def example_payload(model: type[EventPayload]) -> EventPayload:
    """A real instance of ``model`` from the example every contract field carries."""
    values = {
        name: (field.examples or [None])[0]
        for name, field in model.model_fields.items()
        if field.examples
    }
    return model.model_validate(values)


def example_for(
    spec: EventSpec, registry: EventRegistry
) -> tuple[CloudEventEnvelope, EventPayload]:
    """Headers and payload of the example of ``spec``."""
    from agora_contracts.events.domains.learning import KnowledgeCompletedV1
    from agora_contracts.events.domains.xapi import StatementProjectedV1
    from agora_contracts.xapi import TenantXapiProfile, to_statement

    if spec.payload is not StatementProjectedV1:
        payload = example_payload(spec.payload)
        return example_envelope(spec, subject=_example_subject(spec, payload)), payload
    # the statement example is the projection of a real completion event
    completion = registry.spec_for(KnowledgeCompletedV1)
    statement = to_statement(
        example_envelope(completion),
        example_payload(KnowledgeCompletedV1),
        TenantXapiProfile(
            tenant_id="acme",
            home_page="https://learn.acme.example",
            activity_base="https://learn.acme.example/xapi/activities",
            extension_base="https://agora.example/xapi/extensions",
        ),
    )
    assert statement is not None
    # as the projector sends it: ce_id = ce_subject = the statement id
    envelope = example_envelope(spec).model_copy(
        update={"id": statement.id, "subject": str(statement.id)}
    )
    return envelope, StatementProjectedV1.of(statement)


def _example_subject(spec: EventSpec, payload: EventPayload) -> str:
    """The example's subject as producers set it: the keyed aggregate, except that
    learning events are about the item or path (keyed by the learner) and deliveries
    about the notification."""
    values = payload.model_dump()
    for name in ("item_id", "path_id", "assignment_id", "notification_id"):
        if spec.topic.split(".")[1] in ("learning", "notifications") and values.get(name):
            return str(values[name])
    return str(values.get(spec.key_description) or "k-42")


def example_envelope(spec: EventSpec, subject: str = "k-42") -> CloudEventEnvelope:
    """A fixed, valid envelope for ``spec`` (deterministic, so the document is stable)."""
    return CloudEventEnvelope(
        id=uuid.uuid5(_EXAMPLE_NAMESPACE, spec.event_type),
        source=producer_of(spec.topic).source,
        type=spec.event_type,
        time=_EXAMPLE_TIME,
        subject=subject,
        tenantid="acme",
        actorid="u-ada",
        traceparent=_EXAMPLE_TRACEPARENT,
        dataschema=dataschema_url(spec.event_type),
    )
