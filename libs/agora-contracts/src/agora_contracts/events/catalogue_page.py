"""The human page of the events catalogue, rendered from the AsyncAPI document.

Rendered by :mod:`agora_contracts.events.asyncapi` in the same run as the document,
from the document itself, so the page says exactly what the document says.
"""

from __future__ import annotations

import json
from typing import Any

from agora_contracts.events.registry import EventRegistry
from agora_contracts.events.topology import SERVICES, producer_of

JsonObject = dict[str, Any]
_REF = "#/components/schemas/"


def _cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _ref_name(schema: JsonObject) -> str | None:
    ref = schema.get("$ref")
    return ref[len(_REF) :] if isinstance(ref, str) and ref.startswith(_REF) else None


def type_of(schema: JsonObject) -> str:
    """A short type label: ``string (date-time)``, ``array of SkillLevel``, ``X or null``."""
    name = _ref_name(schema)
    if name is not None:
        return f"[{name}](#{name.lower()})"
    if "anyOf" in schema:
        return " or ".join(type_of(option) for option in schema["anyOf"])
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if "enum" in schema:
        return "one of " + ", ".join(f"`{json.dumps(v)}`" for v in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        return f"array of {type_of(schema.get('items', {}))}"
    if kind == "object" and "patternProperties" in schema:
        [(pattern, values)] = schema["patternProperties"].items()
        return f"map of string (`{pattern}`) to {type_of(values) if values else 'any'}"
    if kind == "object" and "additionalProperties" in schema:
        values = schema["additionalProperties"]
        label = type_of(values) if isinstance(values, dict) and values else "any"
        return f"map of string to {label}"
    if kind is None:
        return "any"
    return f"{kind} ({schema['format']})" if "format" in schema else str(kind)


def constraints_of(schema: JsonObject) -> str:
    """Validation keywords worth telling a reader, including inside ``anyOf``/``items``."""
    parts: list[str] = []
    labels = {
        "minLength": "min length",
        "maxLength": "max length",
        "minimum": "≥",
        "exclusiveMinimum": ">",
        "maximum": "≤",
        "exclusiveMaximum": "<",
        "pattern": "pattern",
        "minItems": "min items",
        "maxItems": "max items",
    }
    nested = [schema, *schema.get("anyOf", []), schema.get("items", {})]
    for part in nested:
        for key, label in labels.items():
            if key in part:
                value = part[key]
                parts.append(f"{label} `{value}`" if key == "pattern" else f"{label} {value}")
    if "default" in schema:
        parts.append(f"default `{json.dumps(schema['default'])}`")
    return ", ".join(parts)


def fields_table(schema: JsonObject) -> list[str]:
    """One row per property of an object schema."""
    required = set(schema.get("required", []))
    rows = [
        "| field | type | required | constraints | description |",
        "|---|---|---|---|---|",
    ]
    for name, prop in schema.get("properties", {}).items():
        rows.append(
            f"| `{name}` | {_cell(type_of(prop))} | {'yes' if name in required else 'no'} "
            f"| {_cell(constraints_of(prop))} | {_cell(prop.get('description', ''))} |"
        )
    return rows


def _referenced(schema: Any, schemas: JsonObject, seen: list[str]) -> list[str]:
    """Names of component schemas reachable from ``schema``, in first-seen order."""
    if isinstance(schema, dict):
        name = _ref_name(schema)
        if name is not None and name not in seen:
            seen.append(name)
            _referenced(schemas[name], schemas, seen)
        for value in schema.values():
            _referenced(value, schemas, seen)
    elif isinstance(schema, list):
        for value in schema:
            _referenced(value, schemas, seen)
    return seen


def _json_block(value: object) -> list[str]:
    return ["```json", json.dumps(value, indent=2, ensure_ascii=False), "```"]


def _headers_section(schemas: JsonObject) -> list[str]:
    headers = schemas["CloudEventHeaders"]
    dead = schemas["DeadLetterHeaders"]
    return [
        "## Envelope: CloudEvents 1.0 headers (every message)",
        "",
        headers["description"],
        "",
        *fields_table(headers),
        "",
        "Always present on every event Agora publishes: the required attributes above "
        "(`ce_dataschema` included) and `ce_traceparent` (with tracing off, the default, "
        "a trace context marked not sampled) and `ce_actorid`: the id of the person "
        "who caused the event (directly, or whose event a service reacted to: points "
        "for a completion name the learner), or `system:<service>` for what the "
        "platform did on its own (a scheduled reminder, a popularity update). "
        "`ce_tracestate` only when the trace carries vendor data.",
        "",
        "In each message below, `ce_type` is the message's type and `ce_source` its "
        "producer's `/agora/<service>`.",
        "",
        "## Dead-letter topics",
        "",
        "Every topic `T` has a dead-letter topic `T.dlq`. "
        + dead["description"]
        + " The value and key are the original record's.",
        "",
        *fields_table(dead),
        "",
    ]


def _topics_table(document: JsonObject, registry: EventRegistry) -> list[str]:
    rows = [
        "## Topics",
        "",
        "| topic | producer | partition key | event types | consumed by |",
        "|---|---|---|---|---|",
    ]
    for topic in registry.topics():
        specs = registry.on_topic(topic)
        keys = sorted({f"`{spec.key_description}`" for spec in specs})
        consumers = [s.name for s in SERVICES if topic in s.consumed_topics(registry)]
        types = "<br>".join(f"[`{s.event_type}`](#{_anchor(s.event_type)})" for s in specs)
        rows.append(
            f"| `{topic}` | {producer_of(topic).name} | {', '.join(keys)} | {types} "
            f"| {', '.join(consumers)} |"
        )
    return [*rows, ""]


def _anchor(event_type: str) -> str:
    return event_type.replace(".", "")


def _message_section(message: JsonObject, schemas: JsonObject) -> list[str]:
    event_type = message["title"]
    payload_name = _ref_name(message["payload"])
    assert payload_name is not None
    payload = schemas[payload_name]
    source = message["headers"]["allOf"][1]["properties"]["ce_source"]["const"]
    key = message["bindings"]["kafka"]["key"]["description"]
    example = message["examples"][0]
    lines = [
        f"### {event_type}",
        "",
        message["summary"],
        "",
        f"- model: `{payload_name}` · `ce_source`: `{source}` · {key}",
        "",
        *fields_table(payload),
        "",
    ]
    for nested in _referenced(payload, schemas, []):
        lines += [f"#### {nested}", "", *fields_table(schemas[nested]), ""]
    lines += [
        "Example headers:",
        "",
        *_json_block(example["headers"]),
        "",
        "Example payload (the Kafka value):",
        "",
        *_json_block(example["payload"]),
        "",
    ]
    return lines


def render_page(document: JsonObject, registry: EventRegistry) -> str:
    """The Markdown catalogue of ``document`` (an AsyncAPI document built from ``registry``)."""
    schemas: JsonObject = document["components"]["schemas"]
    messages: JsonObject = document["components"]["messages"]
    lines = [
        "<!-- Generated by `python -m agora_contracts.events.asyncapi --write`; do not edit. -->",
        "",
        "# Agora events catalogue",
        "",
        f"{len(registry)} event types on {len(registry.topics())} topics, version "
        f"{document['info']['version']} of `agora-contracts`. The machine-readable form is "
        "[`asyncapi.yaml`](asyncapi.yaml) (AsyncAPI 3.0); how to consume these topics is in "
        "the [integrator guide](../integrator-guide.md).",
        "",
        *_topics_table(document, registry),
        *_headers_section(schemas),
        "## Event types",
        "",
    ]
    for topic in registry.topics():
        lines += [f"## `{topic}`", "", document["channels"][topic]["description"], ""]
        for spec in registry.on_topic(topic):
            lines += _message_section(messages[spec.event_type], schemas)
    return "\n".join(lines).rstrip() + "\n"
