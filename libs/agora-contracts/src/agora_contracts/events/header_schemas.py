"""Schemas of the Kafka headers every Agora record carries: the CloudEvents attributes
(binary content mode) and, on dead-letter topics, the ``agora-dlq-*`` headers."""

from __future__ import annotations

from typing import Any, Final

from agora_contracts.events.dataschema import DEFAULT_SCHEMA_BASE_URL
from agora_contracts.events.envelope import (
    CONTENT_TYPE_HEADER,
    CONTENT_TYPE_JSON,
    SOURCE_PATTERN,
    SPEC_VERSION,
    TRACESTATE_MAX_LENGTH,
)

JsonObject = dict[str, Any]

DLQ_HEADERS: Final[dict[str, tuple[str, dict[str, Any]]]] = {
    # mirrors agora_core.messaging.dead_letters (the contracts cannot import the runtime)
    "agora-dlq-reason": (
        "Why the record was dead-lettered.",
        {
            "type": "string",
            "enum": [
                "invalid-envelope",
                "wrong-topic",
                "oversize",
                "invalid-payload",
                "handler-rejected",
                "retries-exhausted",
            ],
        },
    ),
    "agora-dlq-error": ("The error, truncated to 2000 characters.", {"type": "string"}),
    "agora-dlq-topic": ("The topic the record came from.", {"type": "string"}),
    "agora-dlq-partition": ("Its partition (decimal).", {"type": "string", "pattern": "^[0-9]+$"}),
    "agora-dlq-offset": ("Its offset (decimal).", {"type": "string", "pattern": "^[0-9]+$"}),
    "agora-dlq-group": ("The consumer group that gave up on it.", {"type": "string"}),
    "agora-dlq-attempts": (
        "Handler attempts made (decimal).",
        {"type": "string", "pattern": "^[0-9]+$"},
    ),
    "agora-dlq-time": ("When it was dead-lettered (ISO 8601).", {"type": "string"}),
}


def cloudevent_headers() -> JsonObject:
    return {
        "type": "object",
        "description": (
            "CloudEvents 1.0 context attributes in Kafka headers (binary content mode): "
            "each attribute is a UTF-8 header `ce_<name>`; `datacontenttype` travels as "
            "`content-type`. The value is the JSON payload alone."
        ),
        "required": [
            "ce_specversion",
            "ce_id",
            "ce_source",
            "ce_type",
            "ce_time",
            "ce_subject",
            "ce_tenantid",
            "ce_dataschema",
            CONTENT_TYPE_HEADER,
        ],
        "properties": {
            "ce_specversion": {"type": "string", "const": SPEC_VERSION},
            "ce_id": {
                "type": "string",
                "format": "uuid",
                "description": "Unique per event: the idempotency key (dedupe on it).",
            },
            "ce_source": {
                "type": "string",
                "pattern": SOURCE_PATTERN,
                "description": "The producing service, `/agora/<service>`.",
            },
            "ce_type": {
                "type": "string",
                "description": "`org.agora.<domain>.<entity>.<verb>.v<major>`; dispatch on it.",
            },
            "ce_time": {
                "type": "string",
                "format": "date-time",
                "description": "When the fact happened (UTC, RFC 3339).",
            },
            "ce_subject": {
                "type": "string",
                "maxLength": 200,
                "description": "The id of the entity the event is about.",
            },
            "ce_tenantid": {
                "type": "string",
                "maxLength": 200,
                "description": "Extension: the tenant (organisation) the event belongs to.",
            },
            "ce_actorid": {
                "type": "string",
                "maxLength": 200,
                "description": "Extension: who caused it: the person's id, or "
                "system:<service> for what the platform did on its own.",
            },
            "ce_traceparent": {
                "type": "string",
                "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
                "description": (
                    "Extension (CloudEvents distributed tracing): W3C trace context of "
                    "what caused the event (the gRPC call or the consumed event; a "
                    "scheduled job starts a trace of its own). On every event Agora "
                    "publishes; its sampled flag says whether the trace was recorded."
                ),
            },
            "ce_tracestate": {
                "type": "string",
                "maxLength": TRACESTATE_MAX_LENGTH,
                "description": "Extension: W3C trace state accompanying `ce_traceparent`, "
                "when the trace has vendor data.",
            },
            "ce_dataschema": {
                "type": "string",
                "format": "uri",
                "description": (
                    "URL of the payload's published JSON Schema: "
                    "`<base>/<ce_type>.json`, the file `schemas/<ce_type>.json` beside "
                    "this page; the base is the deployment's `AGORA_EVENTS_SCHEMA_BASE_URL` "
                    f"(default `{DEFAULT_SCHEMA_BASE_URL}`). Set on every event Agora "
                    "publishes; records written by releases before it may lack it."
                ),
            },
            CONTENT_TYPE_HEADER: {"type": "string", "const": CONTENT_TYPE_JSON},
        },
    }


def dead_letter_headers() -> JsonObject:
    return {
        "type": "object",
        "description": (
            "The original record's headers (CloudEvents ones included, when it had them) "
            "plus the `agora-dlq-*` headers naming the failure."
        ),
        "required": sorted(DLQ_HEADERS),
        "properties": {
            name: {**schema, "description": text} for name, (text, schema) in DLQ_HEADERS.items()
        },
        "additionalProperties": {"type": "string"},
    }
