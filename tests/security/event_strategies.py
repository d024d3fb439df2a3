"""Hypothesis strategies for event payloads, from the payload models' JSON Schemas.

Covers the schema subset pydantic emits for Agora's payloads (objects, ``$ref`` into
``$defs``, ``anyOf``, ``enum``, string/number bounds, arrays, ``date-time``); a schema
keyword outside it fails loudly rather than generating wrong data. Whether a generated
payload is valid is then decided by the payload model itself, so the expectation
(handled or dead-lettered) never depends on this module being exact.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from hypothesis import strategies as st

from agora_contracts.events import EventSpec

JsonSchema = dict[str, Any]
_UNDERSTOOD = {
    "type", "properties", "required", "$ref", "$defs", "anyOf", "enum", "const", "format",
    "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "items", "minItems", "maxItems", "default", "description", "examples", "title",
    "additionalProperties", "pattern", "patternProperties",
}  # fmt: skip
_WRONG_VALUES: tuple[object, ...] = (
    None,
    0,
    -1,
    2**70,
    1.5,
    "",
    "x" * 5_000,
    True,
    [],
    {},
    "\x00",
    "🦄",
)


def _text(schema: JsonSchema) -> st.SearchStrategy[str]:
    if schema.get("format") == "date-time":
        moments = st.datetimes(
            min_value=dt.datetime(1970, 1, 1),
            max_value=dt.datetime(2100, 1, 1),
            timezones=st.just(dt.UTC),
        )
        return moments.map(lambda moment: moment.isoformat())
    low, high = schema.get("minLength", 0), schema.get("maxLength", 300)
    if "pattern" in schema:
        pattern: str = schema["pattern"]
        matching = st.from_regex(pattern, fullmatch=True)
        return matching.filter(lambda text: low <= len(text) <= high)
    return st.text(min_size=low, max_size=min(high, low + 60))


def _number(schema: JsonSchema, integer: bool) -> st.SearchStrategy[Any]:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if integer:
        return st.integers(
            min_value=None if low is None else int(low) + ("exclusiveMinimum" in schema),
            max_value=None if high is None else int(high) - ("exclusiveMaximum" in schema),
        )
    return st.floats(
        min_value=low,
        max_value=high,
        exclude_min="exclusiveMinimum" in schema,
        exclude_max="exclusiveMaximum" in schema,
        allow_nan=False,
        allow_infinity=False,
    )


def valid_values(schema: JsonSchema, defs: dict[str, JsonSchema]) -> st.SearchStrategy[Any]:
    """Values the schema accepts."""
    unknown = set(schema) - _UNDERSTOOD
    assert not unknown, f"schema keywords the fuzzer does not know: {unknown}"
    if "$ref" in schema:
        return st.deferred(lambda: valid_values(defs[schema["$ref"].rsplit("/", 1)[1]], defs))
    if "anyOf" in schema:
        return st.one_of(*(valid_values(option, defs) for option in schema["anyOf"]))
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    kind = schema.get("type")
    if kind == "object":
        return payloads(schema, defs)
    if kind == "array":
        return st.lists(
            valid_values(schema.get("items", {}), defs),
            min_size=schema.get("minItems", 0),
            max_size=min(schema.get("maxItems", 5), schema.get("minItems", 0) + 5),
        )
    if kind == "string":
        return _text(schema)
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    raise AssertionError(f"the fuzzer cannot generate {schema}")


def payloads(schema: JsonSchema, defs: dict[str, JsonSchema]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with every required property and any subset of the optional ones
    (keys ``patternProperties`` would allow are optional: none are generated)."""
    properties = schema.get("properties", {})
    required = set(schema.get("required", ()))
    return st.fixed_dictionaries(
        {name: valid_values(sub, defs) for name, sub in properties.items() if name in required},
        optional={
            name: valid_values(sub, defs)
            for name, sub in properties.items()
            if name not in required
        },
    )


@st.composite
def _broken(draw: st.DrawFn, valid: st.SearchStrategy[dict[str, Any]]) -> bytes:
    payload = dict(draw(valid))
    how = draw(st.sampled_from(["drop", "retype", "not-object", "not-json", "truncate"]))
    if how == "drop" and payload:
        payload.pop(draw(st.sampled_from(sorted(payload))))
    elif how == "retype" and payload:
        payload[draw(st.sampled_from(sorted(payload)))] = draw(st.sampled_from(_WRONG_VALUES))
    elif how == "not-object":
        return json.dumps(
            draw(st.one_of(st.integers(), st.text(max_size=20), st.lists(st.booleans())))
        ).encode()
    elif how == "not-json":
        return draw(st.binary(max_size=300))
    text = json.dumps(payload)
    if how == "truncate":
        return text[: draw(st.integers(0, max(0, len(text) - 1)))].encode()
    return text.encode()


def event_bodies(spec: EventSpec) -> st.SearchStrategy[bytes]:
    """Kafka values for ``spec``: valid payloads and broken ones, about half each."""
    schema = spec.payload.model_json_schema(mode="validation")
    valid = payloads(schema, schema.get("$defs", {}))
    return st.one_of(valid.map(lambda payload: json.dumps(payload).encode()), _broken(valid))


def example_body(spec: EventSpec) -> bytes:
    """A valid payload built from the examples every payload field documents."""
    example = {
        name: info.examples[0] for name, info in spec.payload.model_fields.items() if info.examples
    }
    return spec.payload.model_validate(example).model_dump_json().encode()
