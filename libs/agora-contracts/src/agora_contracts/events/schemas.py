"""JSON Schema snapshots of event payloads, and the forward-compatibility check.

Within a major version a payload may only gain optional fields. A snapshot per event
type is committed under ``libs/agora-contracts/schemas/events``; the check compares the
current model with it and lists every breaking change: a field removed (or renamed), a
field newly required, a field whose type changed (including array items, formats,
nested models, nullability), and a field whose value rules were loosened (a larger
``maxLength`` or ``maximum``, a smaller minimum, a new enum value, a changed pattern),
since a consumer validating with the older model would reject the new values.
Tightening a rule or editing descriptions and examples is compatible.

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


_DOC_KEYS = frozenset({"description", "examples", "title", "default"})
# bounds a newer producer may only tighten: a looser bound lets through values an
# older consumer's model rejects
_LOWER_BOUNDS = ("minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum")
_UPPER_BOUNDS = ("maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum")
_VALUE_RULES = frozenset({*_LOWER_BOUNDS, *_UPPER_BOUNDS, "enum", "const", "pattern"})


def _allowed_values(schema: JsonSchema) -> list[Any] | None:
    """The values an ``enum``/``const`` allows (a one-value Literal is a ``const``)."""
    if "enum" in schema:
        return list(schema["enum"])
    if "const" in schema:
        return [schema["const"]]
    return None


def _shape(node: Any) -> Any:
    """A schema without documentation and value rules: what a value is made of."""
    if isinstance(node, list):
        return [_shape(item) for item in node]
    if not isinstance(node, dict):
        return node
    shaped: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "$defs", "patternProperties"):
            shaped[key] = {name: _shape(schema) for name, schema in value.items()}
        elif key not in _DOC_KEYS and key not in _VALUE_RULES:
            shaped[key] = _shape(value)
    return shaped


def _loosened(old: Any, new: Any) -> list[str]:
    """Value rules of ``old`` that ``new`` (of the same shape) relaxes."""
    if isinstance(old, list) and isinstance(new, list):
        return [change for o, n in zip(old, new, strict=False) for change in _loosened(o, n)]
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return []
    changes: list[str] = []
    for key in _LOWER_BOUNDS:
        if key in old and (key not in new or new[key] < old[key]):
            changes.append(f"{key} {old[key]} -> {new.get(key, 'none')}")
    for key in _UPPER_BOUNDS:
        if key in old and (key not in new or new[key] > old[key]):
            changes.append(f"{key} {old[key]} -> {new.get(key, 'none')}")
    allowed = _allowed_values(old)
    if allowed is not None:
        added = [v for v in _allowed_values(new) or ["<any value>"] if v not in allowed]
        if added:
            changes.append(f"allowed values gained {added}")
    if "pattern" in old and new.get("pattern") != old["pattern"]:
        changes.append(f"pattern {old['pattern']!r} -> {new.get('pattern')!r}")
    for key, value in old.items():
        if key not in _DOC_KEYS and key in new and isinstance(value, dict | list):
            changes.extend(_loosened(value, new[key]))
    return changes


def _field_changes(where: str, name: str, old: JsonSchema, new: JsonSchema) -> list[str]:
    if _shape(old) != _shape(new):
        return [f"{where}: field {name!r} changed type"]
    return [f"{where}: field {name!r} accepts more values ({c})" for c in _loosened(old, new)]


def _object_changes(where: str, old: JsonSchema, new: JsonSchema) -> list[str]:
    changes: list[str] = []
    old_props: JsonSchema = old.get("properties", {})
    new_props: JsonSchema = new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            changes.append(f"{where}: field {name!r} was removed")
        else:
            changes.extend(_field_changes(where, name, old_prop, new_props[name]))
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
