"""JSON Schema snapshots of event payloads, and the forward-compatibility check.

Within a major version a payload may only gain optional fields. A snapshot per event
type is committed under ``libs/agora-contracts/schemas/events``; the check compares the
current model with it and lists every breaking change.

``python -m agora_contracts.events.schemas --write`` writes snapshots for new types and
refreshes compatible ones; it refuses to overwrite a snapshot with a breaking change.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path
from typing import Any

from agora_contracts.events import domains
from agora_contracts.events.registry import REGISTRY, EventRegistry, EventSpec

SNAPSHOT_DIR = Path(__file__).resolve().parents[3] / "schemas" / "events"

JsonSchema = dict[str, Any]


def load_platform_events() -> EventRegistry:
    """Import every domain module so the platform registry is complete."""
    for module in pkgutil.iter_modules(domains.__path__):
        importlib.import_module(f"{domains.__name__}.{module.name}")
    return REGISTRY


def payload_schema(spec: EventSpec) -> JsonSchema:
    schema: JsonSchema = spec.payload.model_json_schema(mode="validation")
    schema["$id"] = f"urn:agora:event:{spec.event_type}"
    schema["x-agora-topic"] = spec.topic
    return schema


def _type_of(prop: JsonSchema) -> Any:
    for key in ("type", "$ref", "anyOf", "allOf", "oneOf", "enum", "const"):
        if key in prop:
            return key, json.dumps(prop[key], sort_keys=True)
    return None


def _object_changes(where: str, old: JsonSchema, new: JsonSchema) -> list[str]:
    changes: list[str] = []
    old_props: JsonSchema = old.get("properties", {})
    new_props: JsonSchema = new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            changes.append(f"{where}: field {name!r} was removed")
        elif _type_of(old_prop) != _type_of(new_props[name]):
            changes.append(f"{where}: field {name!r} changed type")
    newly_required = set(new.get("required", [])) - set(old.get("required", []))
    changes.extend(f"{where}: field {name!r} became required" for name in sorted(newly_required))
    return changes


def breaking_changes(old: JsonSchema, new: JsonSchema) -> list[str]:
    """Every change from ``old`` to ``new`` that would break an existing consumer."""
    changes = _object_changes("payload", old, new)
    old_defs: JsonSchema = old.get("$defs", {})
    new_defs: JsonSchema = new.get("$defs", {})
    for name, old_def in old_defs.items():
        if name not in new_defs:
            # a renamed nested model shows up as a changed $ref on its field already
            continue
        changes.extend(_object_changes(f"$defs.{name}", old_def, new_defs[name]))
    return changes


def snapshot_file(spec_type: str, directory: Path = SNAPSHOT_DIR) -> Path:
    return directory / f"{spec_type}.json"


def read_snapshot(spec_type: str, directory: Path = SNAPSHOT_DIR) -> JsonSchema | None:
    path = snapshot_file(spec_type, directory)
    if not path.exists():
        return None
    loaded: JsonSchema = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def write_snapshots(registry: EventRegistry, directory: Path = SNAPSHOT_DIR) -> list[str]:
    """Write new or compatible snapshots; return the problems that stopped a write."""
    directory.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for spec in registry:
        current = payload_schema(spec)
        previous = read_snapshot(spec.event_type, directory)
        if previous is not None:
            broken = breaking_changes(previous, current)
            if broken:
                problems.extend(f"{spec.event_type}: {b}" for b in broken)
                continue
        text = json.dumps(current, indent=2, sort_keys=True) + "\n"
        snapshot_file(spec.event_type, directory).write_text(text, encoding="utf-8")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help="write new/compatible snapshots")
    args = parser.parse_args(argv)
    registry = load_platform_events()
    if args.write:
        problems = write_snapshots(registry)
    else:
        problems = []
        for spec in registry:
            previous = read_snapshot(spec.event_type)
            if previous is None:
                problems.append(f"{spec.event_type}: no committed snapshot (run with --write)")
            else:
                problems.extend(
                    f"{spec.event_type}: {b}"
                    for b in breaking_changes(previous, payload_schema(spec))
                )
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(registry)} event type(s), {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
