"""CloudEvents 1.0 envelope carried in Kafka headers (binary content mode).

Per the CloudEvents Kafka protocol binding, each attribute travels as a header
``ce_<name>`` (UTF-8) and ``datacontenttype`` as the ``content-type`` header; the
Kafka value is the JSON payload alone, so integrators can read it without us.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agora_contracts.events.dataschema import dataschema_url

SPEC_VERSION = "1.0"
CONTENT_TYPE_JSON = "application/json"
HEADER_PREFIX = "ce_"
CONTENT_TYPE_HEADER = "content-type"

TYPE_PATTERN = r"^org\.agora\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.v[1-9][0-9]*$"
SOURCE_PATTERN = r"^/agora/[a-z][a-z0-9-]*$"
TRACEPARENT_PATTERN = r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"
TRACESTATE_MAX_LENGTH = 512
"""W3C Trace Context: a tracestate of 32 list members fits in 512 characters."""
DATASCHEMA_PATTERN = r"^https?://[^\s]+$"

TENANT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
"""A tenant id: the same shape as the ``tenant`` claim of a token, so every tenant an
event names is one a caller can be signed in to."""

SYSTEM_ACTOR_PREFIX: Final = "system:"
"""``actorid`` of an event the platform caused on its own, followed by the service's
name (``system:notifications`` for a scheduled reminder): every event Agora publishes
names its actor. Token subjects may not start with it (``agora_core.grpc.token_claims``),
so an actorid is either a person's id or this."""

ShortText = Annotated[str, Field(min_length=1, max_length=200)]


def system_actor(source: str) -> str:
    """The actorid of what the service ``source`` (``/agora/<service>``) did on its own."""
    return SYSTEM_ACTOR_PREFIX + source.rsplit("/", 1)[-1]


class EnvelopeError(ValueError):
    """Headers do not form a valid Agora CloudEvent; the message says why."""


class CloudEventEnvelope(BaseModel):
    """The context attributes of one event (everything but the payload)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: str = Field(default=SPEC_VERSION, pattern=r"^1\.0$")
    id: uuid.UUID = Field(description="Unique per event; the idempotency key of consumers.")
    source: str = Field(pattern=SOURCE_PATTERN, max_length=100, examples=["/agora/catalog"])
    type: str = Field(
        pattern=TYPE_PATTERN, max_length=200, examples=["org.agora.learning.completion.recorded.v1"]
    )
    time: datetime = Field(description="When the fact happened (UTC).")
    subject: ShortText = Field(description="The id of the entity the event is about.")
    datacontenttype: str = Field(default=CONTENT_TYPE_JSON, max_length=100)
    tenantid: str = Field(
        pattern=TENANT_ID_PATTERN,
        max_length=64,
        description="Tenant the event belongs to (letters, digits, `_.-`; at most 64).",
        examples=["acme"],
    )
    actorid: str | None = Field(
        default=None,
        max_length=200,
        description="Who caused it: a person's id, or ``system:<service>`` (always set "
        "by Agora; optional when parsing, for other producers).",
    )
    traceparent: str | None = Field(
        default=None, pattern=TRACEPARENT_PATTERN, description="W3C trace context."
    )
    tracestate: str | None = Field(
        default=None,
        max_length=TRACESTATE_MAX_LENGTH,
        description="W3C trace state (vendor data) accompanying ``traceparent``.",
    )
    dataschema: str | None = Field(
        default=None,
        max_length=500,
        pattern=DATASCHEMA_PATTERN,
        description="URL of the payload's published JSON Schema.",
    )

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must be timezone-aware")
        return value.astimezone(UTC)

    @property
    def major_version(self) -> int:
        return int(self.type.rsplit(".v", 1)[1])

    def to_headers(self) -> dict[str, str]:
        """Kafka headers for binary mode; optional attributes are omitted when unset."""
        headers = {
            f"{HEADER_PREFIX}specversion": self.specversion,
            f"{HEADER_PREFIX}id": str(self.id),
            f"{HEADER_PREFIX}source": self.source,
            f"{HEADER_PREFIX}type": self.type,
            f"{HEADER_PREFIX}time": self.time.isoformat().replace("+00:00", "Z"),
            f"{HEADER_PREFIX}subject": self.subject,
            f"{HEADER_PREFIX}tenantid": self.tenantid,
            CONTENT_TYPE_HEADER: self.datacontenttype,
        }
        if self.actorid is not None:
            headers[f"{HEADER_PREFIX}actorid"] = self.actorid
        if self.traceparent is not None:
            headers[f"{HEADER_PREFIX}traceparent"] = self.traceparent
        if self.tracestate:
            headers[f"{HEADER_PREFIX}tracestate"] = self.tracestate
        if self.dataschema is not None:
            headers[f"{HEADER_PREFIX}dataschema"] = self.dataschema
        return headers

    @classmethod
    def from_headers(
        cls, headers: Mapping[str, str | bytes] | Iterable[tuple[str, str | bytes]]
    ) -> CloudEventEnvelope:
        """Parse Kafka headers; raise EnvelopeError naming what is missing or wrong."""
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        fields: dict[str, str] = {}
        for name, raw in pairs:
            try:
                value = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            except UnicodeDecodeError as error:
                raise EnvelopeError(f"header {name} is not UTF-8") from error
            # Consumers parse every record: one lookup per header, nothing rebuilt.
            attribute = _HEADER_TO_FIELD.get(name) or _HEADER_TO_FIELD.get(name.lower())
            if attribute is not None:
                fields[attribute] = value
        missing = [f"ce_{n}" for n in _REQUIRED if n not in fields]
        if missing:
            raise EnvelopeError("missing header(s): " + ", ".join(missing))
        if fields.get("specversion", SPEC_VERSION) != SPEC_VERSION:
            raise EnvelopeError(f"unsupported ce_specversion {fields['specversion']!r}")
        try:
            return cls.model_validate(fields)
        except ValidationError as error:
            reasons = "; ".join(
                f"ce_{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
            )
            raise EnvelopeError(reasons) from None


_REQUIRED: Final = ("id", "source", "type", "time", "subject", "tenantid")
_HEADER_TO_FIELD: Final[dict[str, str]] = {
    **{f"{HEADER_PREFIX}{name}": name for name in CloudEventEnvelope.model_fields},
    CONTENT_TYPE_HEADER: "datacontenttype",
}
"""Header name → envelope field. ``ce_datacontenttype`` is not a header of the binding
(``content-type`` is), so it is not read."""
del _HEADER_TO_FIELD[f"{HEADER_PREFIX}datacontenttype"]


def new_envelope(
    *,
    type: str,
    source: str,
    subject: str,
    tenant_id: str,
    actor_id: str | None = None,
    traceparent: str | None = None,
    tracestate: str | None = None,
    time: datetime | None = None,
    event_id: uuid.UUID | None = None,
    dataschema: str | None = None,
) -> CloudEventEnvelope:
    """A fresh envelope with a random id and the current time.

    ``dataschema`` defaults to the published schema of ``type`` under the default base
    URL (:func:`~agora_contracts.events.dataschema.dataschema_url`). Without an
    ``actor_id`` the event is the service's own doing (:func:`system_actor`).
    """
    return CloudEventEnvelope(
        id=event_id or uuid.uuid4(),
        source=source,
        type=type,
        time=time or datetime.now(UTC),
        subject=subject,
        tenantid=tenant_id,
        actorid=actor_id or system_actor(source),
        traceparent=traceparent,
        tracestate=tracestate or None,
        dataschema=dataschema or dataschema_url(type),
    )
