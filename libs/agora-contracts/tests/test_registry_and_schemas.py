"""Event registry rules and the forward-compatibility check of payload schemas."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import Field, create_model

from agora_contracts.events import EventPayload, EventRegistry, EventSpec, UnknownEventType
from agora_contracts.events.common import SkillLevel
from agora_contracts.events.schemas import (
    breaking_changes,
    load_platform_events,
    payload_schema,
    read_snapshot,
    write_snapshots,
)

pytestmark = pytest.mark.unit


class ItemCompletedV1(EventPayload):
    item_id: str = Field(description="Completed item.", examples=["item-1"])
    learner_id: str = Field(description="Who completed it.", examples=["user-1"])


class ItemCompletedOptionalAdded(EventPayload):
    item_id: str = Field(description="Completed item.", examples=["item-1"])
    learner_id: str = Field(description="Who completed it.", examples=["user-1"])
    score: float | None = Field(default=None, description="Score.", examples=[0.9])


class ItemCompletedFieldRemoved(EventPayload):
    item_id: str = Field(description="Completed item.", examples=["item-1"])


class ItemCompletedRequiredAdded(EventPayload):
    item_id: str = Field(description="Completed item.", examples=["item-1"])
    learner_id: str = Field(description="Who completed it.", examples=["user-1"])
    path_id: str = Field(description="Path.", examples=["path-1"])


class ItemCompletedTypeChanged(EventPayload):
    item_id: int = Field(description="Completed item.", examples=[1])
    learner_id: str = Field(description="Who completed it.", examples=["user-1"])


class ItemCompletedFieldRenamed(EventPayload):
    item_id: str = Field(description="Completed item.", examples=["item-1"])
    person_id: str = Field(description="Who completed it.", examples=["user-1"])


class ItemCompletedOptionalMadeRequired(EventPayload):
    item_id: str = Field(description="Completed item.", examples=["item-1"])
    learner_id: str = Field(description="Who completed it.", examples=["user-1"])
    score: float = Field(description="Score.", examples=[0.9])


class Rich(EventPayload):
    """A payload with value rules, to check which changes of them break consumers."""

    title: str = Field(max_length=100, description="Title.", examples=["t"])
    kind: Literal["video", "quiz"] = Field(description="Kind.", examples=["video"])
    at: datetime = Field(description="When.", examples=["2026-11-23T09:00:00Z"])
    tags: tuple[str, ...] = Field(default=(), description="Tags.", examples=[["a"]])
    skills: tuple[SkillLevel, ...] = Field(default=(), description="Skills.", examples=[[]])
    score: float = Field(ge=0, le=100, description="Score.", examples=[50.0])
    owner: str | None = Field(default=None, description="Owner.", examples=[None])


def _rich_variant(**fields: Any) -> type[EventPayload]:
    """``Rich`` with some fields redefined (same names, new annotations/rules)."""
    definitions: dict[str, Any] = {
        name: (info.annotation, info) for name, info in Rich.model_fields.items()
    }
    definitions.update(fields)
    model: type[EventPayload] = create_model("RichVariant", __base__=EventPayload, **definitions)
    return model


TYPE = "org.agora.learning.item.completed.v1"
TOPIC = "agora.learning.completions.v1"


def _spec(model: type[EventPayload]) -> EventSpec:
    return EventSpec(TYPE, TOPIC, model, "learner_id", "An item was completed.")


def test_registry_looks_up_by_type_topic_and_model() -> None:
    registry = EventRegistry()
    registry.register(_spec(ItemCompletedV1))
    assert registry.spec(TYPE).payload is ItemCompletedV1
    assert registry.spec_for(ItemCompletedV1).topic == TOPIC
    assert registry.topics() == [TOPIC]
    assert [s.event_type for s in registry.on_topic(TOPIC)] == [TYPE]
    with pytest.raises(UnknownEventType):
        registry.spec("org.agora.learning.item.vanished.v1")


@pytest.mark.parametrize(
    ("event_type", "topic", "message"),
    [
        ("agora.item.completed", TOPIC, "must look like"),
        (TYPE, "learning-completions", "must look like"),
        (TYPE, "agora.learning.completions.v2", "major version"),
    ],
)
def test_registry_refuses_malformed_names(event_type: str, topic: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EventRegistry().register(EventSpec(event_type, topic, ItemCompletedV1, "k", "d"))


def test_registry_requires_documented_fields() -> None:
    class Undocumented(EventPayload):
        item_id: str

    with pytest.raises(ValueError, match="description and an example: item_id"):
        EventRegistry().register(_spec(Undocumented))


def test_payloads_are_frozen_and_tolerate_unknown_fields() -> None:
    payload = ItemCompletedV1.model_validate({"item_id": "a", "learner_id": "b", "later": 1})
    assert payload.model_dump() == {"item_id": "a", "learner_id": "b"}
    with pytest.raises(ValueError, match="frozen"):
        payload.item_id = "other"  # type: ignore[misc]


def test_adding_an_optional_field_is_compatible() -> None:
    old = payload_schema(_spec(ItemCompletedV1))
    assert breaking_changes(old, payload_schema(_spec(ItemCompletedOptionalAdded))) == []


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (ItemCompletedFieldRemoved, "field 'learner_id' was removed"),
        (ItemCompletedFieldRenamed, "field 'learner_id' was removed"),
        (ItemCompletedRequiredAdded, "field 'path_id' became required"),
        (ItemCompletedTypeChanged, "field 'item_id' changed type"),
    ],
)
def test_breaking_changes_are_detected(model: type[EventPayload], expected: str) -> None:
    old = payload_schema(_spec(ItemCompletedV1))
    assert any(expected in change for change in breaking_changes(old, payload_schema(_spec(model))))


def test_snapshot_writer_refuses_to_overwrite_with_a_breaking_change(tmp_path: Path) -> None:
    compatible = EventRegistry()
    compatible.register(_spec(ItemCompletedV1))
    assert write_snapshots(compatible, tmp_path) == []
    assert read_snapshot(TYPE, tmp_path) == payload_schema(_spec(ItemCompletedV1))
    breaking = EventRegistry()
    breaking.register(_spec(ItemCompletedFieldRemoved))
    problems = write_snapshots(breaking, tmp_path)
    assert problems == [f"{TYPE}: payload: field 'learner_id' was removed"]
    assert read_snapshot(TYPE, tmp_path) == payload_schema(_spec(ItemCompletedV1))


def test_every_platform_event_has_a_compatible_committed_snapshot() -> None:
    """Guards integrators: a platform event may only evolve additively within a major."""
    registry = load_platform_events()
    for spec in registry:
        snapshot = read_snapshot(spec.event_type)
        assert snapshot is not None, f"{spec.event_type}: no snapshot (run `make schemas`)"
        assert breaking_changes(snapshot, payload_schema(spec)) == [], spec.event_type


def test_making_an_optional_field_required_is_breaking() -> None:
    old = payload_schema(_spec(ItemCompletedOptionalAdded))
    changes = breaking_changes(old, payload_schema(_spec(ItemCompletedOptionalMadeRequired)))
    assert "payload: field 'score' became required" in changes
    assert "payload: field 'score' changed type" in changes  # null no longer accepted


def _s(model: type[EventPayload]) -> dict[str, Any]:
    return payload_schema(_spec(model))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"at": (str, Field(description="When.", examples=["x"]))}, "'at' changed type"),
        (
            {"tags": (tuple[int, ...], Field(default=(), description="T.", examples=[[1]]))},
            "'tags' changed type",
        ),
        (
            {"skills": (tuple[str, ...], Field(default=(), description="S.", examples=[[]]))},
            "'skills' changed type",
        ),
        (
            {"title": (str, Field(max_length=500, description="Title.", examples=["t"]))},
            "'title' accepts more values (maxLength 100 -> 500)",
        ),
        (
            {
                "kind": (
                    Literal["video", "quiz", "scorm"],
                    Field(description="Kind.", examples=["video"]),
                )
            },
            "'kind' accepts more values (allowed values gained ['scorm'])",
        ),
        (
            {"kind": (str, Field(description="Kind.", examples=["video"]))},
            "'kind' accepts more values (allowed values gained ['<any value>'])",
        ),
        (
            {"score": (float, Field(ge=0, description="Score.", examples=[50.0]))},
            "'score' accepts more values (maximum 100 -> none)",
        ),
        (
            {"title": (str | None, Field(default=None, description="T.", examples=[None]))},
            "'title' changed type",
        ),
    ],
)
def test_type_and_value_rule_loosening_is_breaking(fields: dict[str, Any], expected: str) -> None:
    changes = breaking_changes(_s(Rich), _s(_rich_variant(**fields)))
    assert any(expected in change for change in changes), changes


def test_tightening_rules_and_editing_docs_are_compatible() -> None:
    tighter = _rich_variant(
        title=(str, Field(max_length=50, description="Another text.", examples=["other"])),
        kind=(Literal["video"], Field(description="Kind.", examples=["video"])),
        score=(float, Field(ge=10, le=90, description="Score.", examples=[50.0])),
        tags=(tuple[str, ...], Field(default=(), max_length=5, description="T.", examples=[[]])),
    )
    assert breaking_changes(_s(Rich), _s(tighter)) == []


def test_a_nested_model_losing_a_field_is_breaking() -> None:
    class Level(EventPayload):
        skill_id: str = Field(description="Skill.", examples=["sql"])

    class Holder(EventPayload):
        skills: tuple[Level, ...] = Field(default=(), description="S.", examples=[[]])

    old = _s(Holder)
    old["$defs"]["Level"]["properties"]["level"] = {"type": "integer"}
    assert breaking_changes(old, _s(Holder)) == ["$defs.Level: field 'level' was removed"]
