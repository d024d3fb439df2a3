"""The platform's events catalogue: an AsyncAPI 3.0 document and its Markdown page.

Both are generated from the event registry (types, topics, partition keys, payload
models and their field examples) and the topology table (who sends and receives),
so they cannot drift from the code:

    python -m agora_contracts.events.asyncapi --write   # docs/events/: asyncapi.yaml, README.md,
                                                        # schemas/<type>.json
    python -m agora_contracts.events.asyncapi --check   # exit 1 if either is stale

Generation needs PyYAML (a dev dependency of the workspace), not the contracts' users.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Final

from agora_contracts.events.dataschema import schema_file_name
from agora_contracts.events.envelope import CONTENT_TYPE_JSON
from agora_contracts.events.examples import example_for
from agora_contracts.events.header_schemas import (
    JsonObject,
    cloudevent_headers,
    dead_letter_headers,
)
from agora_contracts.events.payload import EventPayload
from agora_contracts.events.registry import EventRegistry, EventSpec
from agora_contracts.events.schemas import load_platform_events, payload_schema
from agora_contracts.events.topology import SERVICES, producer_of

ASYNCAPI_VERSION: Final = "3.0.0"
KAFKA_BINDING_VERSION: Final = "0.5.0"
DOCS_DIR: Final = Path(__file__).resolve().parents[5] / "docs" / "events"
DOCUMENT_NAME: Final = "asyncapi.yaml"
PAGE_NAME: Final = "README.md"
SCHEMAS_FOLDER: Final = "schemas"

DLQ_SUFFIX: Final = ".dlq"


# -- schemas ----------------------------------------------------------------------------


class _Schemas:
    """components/schemas: payload models and their nested models, one entry per name."""

    def __init__(self) -> None:
        self.entries: dict[str, JsonObject] = {}

    def add(self, name: str, schema: JsonObject) -> None:
        known = self.entries.get(name)
        if known is not None and known != schema:
            raise ValueError(f"two different models are both named {name!r}")
        self.entries[name] = schema

    def payload(self, model: type[EventPayload]) -> JsonObject:
        """Register ``model``'s schema (nested models hoisted) and return a $ref to it."""
        schema: JsonObject = model.model_json_schema(
            mode="validation", ref_template="#/components/schemas/{model}"
        )
        for name, nested in schema.pop("$defs", {}).items():
            self.add(name, nested)
        self.add(model.__name__, schema)
        return {"$ref": f"#/components/schemas/{model.__name__}"}


# -- the document -----------------------------------------------------------------------


def _message(spec: EventSpec, registry: EventRegistry, schemas: _Schemas) -> JsonObject:
    producer = producer_of(spec.topic)
    envelope, example = example_for(spec, registry)
    return {
        "name": spec.payload.__name__,
        "title": spec.event_type,
        "summary": spec.description,
        "contentType": CONTENT_TYPE_JSON,
        "correlationId": {
            "description": "The CloudEvents id: unique per event, the idempotency key.",
            "location": "$message.header#/ce_id",
        },
        "headers": {
            "allOf": [
                {"$ref": "#/components/schemas/CloudEventHeaders"},
                {
                    "type": "object",
                    "properties": {
                        "ce_type": {"const": spec.event_type},
                        "ce_source": {"const": producer.source},
                    },
                },
            ]
        },
        "payload": schemas.payload(spec.payload),
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": f"Partition key: {spec.key_description}."},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
        "examples": [
            {
                "name": "example",
                "summary": f"A {spec.payload.__name__} built from the contract's examples.",
                "headers": envelope.to_headers(),
                "payload": json.loads(example.model_dump_json()),
            }
        ],
    }


def _channel_description(topic: str, specs: list[EventSpec]) -> str:
    keys = sorted({spec.key_description for spec in specs})
    return (
        f"Published by the {producer_of(topic).name} service. Partition key: "
        + "; ".join(f"`{k}`" for k in keys)
        + " (order holds per key). Cleanup policy `delete` (events are facts, not state); "
        "partitions and retention are set per deployment (local: 3 partitions, 24 h). "
        "Consumers dispatch on `ce_type` and skip the types they do not handle."
    )


def _kafka_channel_binding(topic: str) -> JsonObject:
    return {
        "kafka": {
            "topic": topic,
            "topicConfiguration": {"cleanup.policy": ["delete"]},
            "bindingVersion": KAFKA_BINDING_VERSION,
        }
    }


def _consumer_binding(group: str) -> JsonObject:
    return {
        "kafka": {
            "groupId": {"type": "string", "enum": [group]},
            "bindingVersion": KAFKA_BINDING_VERSION,
        }
    }


def build_document(registry: EventRegistry, version: str) -> JsonObject:
    """The AsyncAPI 3.0 document of every type in ``registry``."""
    schemas = _Schemas()
    schemas.add("CloudEventHeaders", cloudevent_headers())
    schemas.add("DeadLetterHeaders", dead_letter_headers())
    messages: JsonObject = {}
    channels: JsonObject = {}
    for topic in registry.topics():
        specs = registry.on_topic(topic)
        for spec in specs:
            messages[spec.event_type] = _message(spec, registry, schemas)
        channels[topic] = {
            "address": topic,
            "title": topic,
            "description": _channel_description(topic, specs),
            "messages": {
                spec.event_type: {"$ref": f"#/components/messages/{spec.event_type}"}
                for spec in specs
            },
            "bindings": _kafka_channel_binding(topic),
        }
        dlq = topic + DLQ_SUFFIX
        channels[dlq] = {
            "address": dlq,
            "title": dlq,
            "description": (
                f"Dead letters of `{topic}`: records a consumer could not read or handle "
                "(after its retries), with the original key, value and headers, plus the "
                "`agora-dlq-*` headers. Nothing is dropped: replay after a fix."
            ),
            "messages": {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}},
            "bindings": _kafka_channel_binding(dlq),
        }
    messages["DeadLetter"] = {
        "name": "DeadLetter",
        "title": "Dead letter",
        "summary": "A record a consumer gave up on, kept as it was with the failure in headers.",
        "contentType": CONTENT_TYPE_JSON,
        "headers": {"$ref": "#/components/schemas/DeadLetterHeaders"},
        "payload": {
            "description": "The original value, unchanged (possibly not valid JSON).",
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The original record's key."},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }
    operations: JsonObject = {}
    for service in SERVICES:
        for topic in service.published_topics(registry):
            operations[f"{service.name}.send.{topic}"] = {
                "action": "send",
                "title": f"{service.name} publishes {topic}",
                "summary": f"The {service.name} service publishes through its outbox relay.",
                "channel": {"$ref": f"#/channels/{topic}"},
                "messages": [
                    {"$ref": f"#/channels/{topic}/messages/{spec.event_type}"}
                    for spec in registry.on_topic(topic)
                ],
            }
        for topic in service.consumed_topics(registry):
            operations[f"{service.name}.receive.{topic}"] = {
                "action": "receive",
                "title": f"{service.name} consumes {topic}",
                "summary": (
                    f"Consumer group `{service.consumer_group}`; idempotent on `ce_id`, "
                    f"retries with backoff, then dead-letters to `{topic}{DLQ_SUFFIX}`."
                ),
                "channel": {"$ref": f"#/channels/{topic}"},
                "messages": [
                    {"$ref": f"#/channels/{topic}/messages/{spec.event_type}"}
                    for spec in registry.on_topic(topic)
                ],
                "bindings": _consumer_binding(service.consumer_group),
            }
            dlq = topic + DLQ_SUFFIX
            operations[f"{service.name}.send.{dlq}"] = {
                "action": "send",
                "title": f"{service.name} dead-letters {topic}",
                "summary": "Records it cannot read or handle after its retries.",
                "channel": {"$ref": f"#/channels/{dlq}"},
                "messages": [{"$ref": f"#/channels/{dlq}/messages/DeadLetter"}],
            }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Agora events",
            "version": version,
            "description": (
                "Every event of the Agora social learning platform, generated from the "
                "event registry of `agora-contracts` (`python -m "
                "agora_contracts.events.asyncapi --write`). CloudEvents 1.0 in Kafka binary "
                "mode; at-least-once delivery (dedupe on `ce_id`); within a major version "
                "payloads only gain optional fields, a breaking change is a new `.v2` topic."
            ),
            "contact": {"name": "Agora maintainers"},
            "tags": [{"name": service.name} for service in SERVICES],
        },
        "defaultContentType": CONTENT_TYPE_JSON,
        "servers": {
            "kafka": {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "description": "Your deployment's Kafka cluster.",
                "variables": {
                    "bootstrap": {
                        "default": "localhost:9092",
                        "description": "Bootstrap servers of the deployment.",
                    }
                },
                "security": [
                    {"$ref": "#/components/securitySchemes/saslScram"},
                    {"$ref": "#/components/securitySchemes/mutualTls"},
                ],
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": dict(sorted(schemas.entries.items())),
            "messages": messages,
            "securitySchemes": {
                "saslScram": {
                    "type": "scramSha512",
                    "description": "SASL/SCRAM over TLS, if the deployment's broker uses it.",
                },
                "mutualTls": {
                    "type": "X509",
                    "description": "Mutual TLS client certificates, if the broker uses them.",
                },
            },
        },
    }


# -- writing and checking ---------------------------------------------------------------


def _contracts_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("agora-contracts")
    except PackageNotFoundError:  # running from a source tree without installing
        return "0.0.0"


def render_yaml(document: JsonObject) -> str:
    """The document as YAML, keys in document order (stable output)."""
    import yaml  # a dev dependency: generation only

    header = "# Generated by `python -m agora_contracts.events.asyncapi --write`; do not edit.\n"
    body: str = yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    return header + body


def generated_files(registry: EventRegistry | None = None) -> dict[str, str]:
    """File name → content of the catalogue (the AsyncAPI document and its page)."""
    from agora_contracts.events.catalogue_page import render_page

    registry = registry or load_platform_events()
    document = build_document(registry, _contracts_version())
    files = {DOCUMENT_NAME: render_yaml(document), PAGE_NAME: render_page(document, registry)}
    # The published schemas each event's ce_dataschema points at.
    for spec in registry:
        text = json.dumps(payload_schema(spec), indent=2, sort_keys=True) + "\n"
        files[f"{SCHEMAS_FOLDER}/{schema_file_name(spec.event_type)}"] = text
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="write the files")
    mode.add_argument("--check", action="store_true", help="fail if a file is stale")
    parser.add_argument("--out", type=Path, default=DOCS_DIR, help="directory of the files")
    args = parser.parse_args(argv)
    stale = []
    for name, content in generated_files().items():
        path: Path = args.out / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == content:
            continue
        if args.write:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            print(f"wrote {path}")
        else:
            stale.append(path)
    for path in stale:
        print(
            f"{path} is stale: run python -m agora_contracts.events.asyncapi --write",
            file=sys.stderr,
        )
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
