"""Rules: declarative, validated "event type + conditions on the payload → points".

A condition is (dotted field path, operator, JSON operand). A path that crosses a list
("skills.skill_id") yields every element's value; positive operators match when any
value does, ``ne``/``nin`` when none does. Rules are pydantic models so an invalid one
is refused with the field that is wrong, and nothing changes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agora_contracts.events.domains import catalog, community, learning
from agora_contracts.events.registry import REGISTRY
from agora_core.text import PlainText
from agora_gamification.domain.catalogue import (
    CONSUMED,
    STREAK_DAY,
    payload_fields,
    person_fields,
)

Operator = Literal["eq", "ne", "in", "nin", "gt", "gte", "lt", "lte", "exists"]
MAX_POINTS: Final = 10_000
MAX_CONDITIONS: Final = 10
MAX_WEIGHTS: Final = 20
IDENTIFIER = r"^[a-z0-9][a-z0-9._-]{0,63}$"
CARRIED_FORWARD: Final = "carried-forward"
"""The ledger's own ``rule_id`` for the entry that carries a learner's purged entries
(``domain/retention.py``); no rule may take it."""


class Condition(BaseModel):
    """One test on a payload field."""

    model_config = ConfigDict(frozen=True)

    field: str = Field(
        min_length=1, max_length=100, pattern=r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$"
    )
    op: Operator
    value: Any = None

    @model_validator(mode="after")
    def _operand_fits(self) -> Condition:
        if self.op in ("in", "nin"):
            if not isinstance(self.value, list) or not 1 <= len(self.value) <= 100:
                raise ValueError(f"value: {self.op} needs a list of 1 to 100 values")
        elif self.op in ("gt", "gte", "lt", "lte"):
            if isinstance(self.value, bool) or not isinstance(self.value, int | float | str):
                raise ValueError(f"value: {self.op} needs a number or a string")
        elif self.op == "exists":
            if not isinstance(self.value, bool):
                raise ValueError("value: exists needs true or false")
        elif isinstance(self.value, dict | list):
            raise ValueError(f"value: {self.op} needs a scalar value")
        return self

    def matches(self, payload: Mapping[str, Any]) -> bool:
        """Whether ``payload`` (a JSON-shaped dict) satisfies this condition."""
        values = list(field_values(payload, self.field))
        if self.op == "exists":
            return bool(values) is self.value
        if self.op == "ne":
            return all(v != self.value for v in values)
        if self.op == "nin":
            return all(v not in self.value for v in values)
        return any(_compare(self.op, v, self.value) for v in values)


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if op == "eq":
        return bool(actual == expected)
    if op == "in":
        return actual in expected
    if isinstance(actual, bool) or not isinstance(actual, type(expected) | int | float):
        return False
    if isinstance(actual, str) != isinstance(expected, str):
        return False
    if op == "gt":
        return bool(actual > expected)
    if op == "gte":
        return bool(actual >= expected)
    if op == "lt":
        return bool(actual < expected)
    return bool(actual <= expected)


def field_values(payload: Mapping[str, Any], path: str) -> Iterable[Any]:
    """Every value at ``path``; lists along the way are flattened, nulls are absent."""
    current: list[Any] = [payload]
    for part in path.split("."):
        following: list[Any] = []
        for node in current:
            if isinstance(node, Mapping) and part in node:
                value = node[part]
                following.extend(value if isinstance(value, list) else [value])
        current = [v for v in following if v is not None]
    return [v for v in current if not isinstance(v, Mapping)]


def _check_conditions(event_type: str, conditions: Sequence[Condition]) -> None:
    known = payload_fields(event_type)
    for index, condition in enumerate(conditions):
        top = condition.field.split(".", 1)[0]
        if top not in known:
            raise ValueError(
                f"conditions.{index}.field: {top!r} is not a field of {event_type} "
                f"(known: {', '.join(sorted(known))})"
            )


class Rule(BaseModel):
    """One rule of a tenant's rule set."""

    model_config = ConfigDict(frozen=True)

    rule_id: str = Field(pattern=IDENTIFIER)
    event_type: str = Field(min_length=1, max_length=200)
    conditions: tuple[Condition, ...] = Field(default=(), max_length=MAX_CONDITIONS)
    points: int = Field(ge=1, le=MAX_POINTS)
    beneficiary_field: str = Field(default="", max_length=100)
    daily_cap: int = Field(default=0, ge=0, le=10_000)
    weight_field: str = Field(default="", max_length=100)
    weights: dict[str, float] = Field(default_factory=dict, max_length=MAX_WEIGHTS)
    enabled: bool = True
    version: int = Field(default=1, ge=1)
    description: PlainText = Field(default="", max_length=500)

    @field_validator("rule_id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == CARRIED_FORWARD:
            raise ValueError(f"{value!r} is reserved for carried ledger entries")
        return value

    @field_validator("event_type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in CONSUMED:
            raise ValueError(f"{value!r} is not an event type gamification consumes")
        return value

    @field_validator("weights")
    @classmethod
    def _weights_bounded(cls, value: dict[str, float]) -> dict[str, float]:
        for key, weight in value.items():
            if not key or len(key) > 64:
                raise ValueError("weight keys are 1 to 64 characters")
            if not math.isfinite(weight) or not 0 <= weight <= 10:
                raise ValueError(f"weight of {key!r} must be between 0 and 10")
        return value

    @model_validator(mode="after")
    def _fits_event_type(self) -> Rule:
        _check_conditions(self.event_type, self.conditions)
        if self.beneficiary_field and self.beneficiary_field not in person_fields(self.event_type):
            raise ValueError(
                f"beneficiary_field: {self.beneficiary_field!r} does not name a person of "
                f"{self.event_type} (one of {', '.join(sorted(person_fields(self.event_type)))})"
            )
        if self.weights and not self.weight_field:
            raise ValueError("weight_field: required when weights are given")
        if self.weight_field and self.weight_field not in payload_fields(self.event_type):
            raise ValueError(f"weight_field: {self.weight_field!r} is not a payload field")
        return self

    @property
    def credited_field(self) -> str:
        """The payload field naming who is credited."""
        return self.beneficiary_field or CONSUMED[self.event_type].person_field

    def points_for(self, payload: Mapping[str, Any]) -> int:
        """Points after the content-type weight (rounded half up, never negative)."""
        weight = 1.0
        if self.weight_field:
            values = list(field_values(payload, self.weight_field))
            if values and str(values[0]) in self.weights:
                weight = self.weights[str(values[0])]
        return max(0, math.floor(self.points * weight + 0.5))


@dataclass(frozen=True)
class Credit:
    """Points a rule grants one person for one event, before caps."""

    rule: Rule
    learner_id: str
    points: int


def credits_for(
    rules: Iterable[Rule], event_type: str, payload: Mapping[str, Any], actor_id: str | None
) -> list[Credit]:
    """The credits an event earns under ``rules`` (caps are applied per profile later).

    No credit when the beneficiary is another party of the event (liking or completing
    one's own content, accepting one's own answer) or the envelope's actor while the
    credit goes to someone other than the acting person.
    """
    consumed = CONSUMED.get(event_type)
    if consumed is None:
        return []
    granted: list[Credit] = []
    for rule in rules:
        if not rule.enabled or rule.event_type != event_type:
            continue
        if not all(c.matches(payload) for c in rule.conditions):
            continue
        beneficiary = payload.get(rule.credited_field)
        if not isinstance(beneficiary, str) or not beneficiary:
            continue
        others = [payload.get(f) for f in consumed.party_fields if f != rule.credited_field]
        if beneficiary in others:
            continue
        if actor_id and rule.credited_field != consumed.person_field and actor_id == beneficiary:
            continue
        points = rule.points_for(payload)
        if points > 0:
            granted.append(Credit(rule, beneficiary, points))
    return granted


def _type(model: Any) -> str:
    return REGISTRY.spec_for(model).event_type


def default_rules() -> list[Rule]:
    """The rule set every tenant starts with (admins override them by rule id)."""
    return [
        Rule(
            rule_id="completion",
            event_type=_type(learning.KnowledgeCompletedV1),
            points=10,
            daily_cap=20,
            weight_field="item_type",
            weights={"session": 2.0, "scorm": 1.5, "document": 0.5, "link": 0.5},
            description="Completing a knowledge item, weighted by its type.",
        ),
        Rule(
            rule_id="path-completion",
            event_type=_type(learning.PathCompletedV1),
            points=50,
            description="Completing a learning path.",
        ),
        Rule(
            rule_id="quiz-passed",
            event_type=_type(learning.QuizPassedV1),
            points=15,
            daily_cap=10,
            description="Passing a quiz.",
        ),
        Rule(
            rule_id="validated-contribution",
            event_type=_type(catalog.SubmissionReviewedV1),
            conditions=(Condition(field="decision", op="eq", value="approved"),),
            points=40,
            beneficiary_field="author_id",
            description="A contribution approved by an expert (credits the author).",
        ),
        Rule(
            rule_id="like-received",
            event_type=_type(community.LikeAddedV1),
            points=5,
            beneficiary_field="target_owner_id",
            daily_cap=20,
            description="A like on one's content (credits the owner, never the liker).",
        ),
        Rule(
            rule_id="accepted-answer",
            event_type=_type(community.AnswerAcceptedV1),
            points=25,
            beneficiary_field="author_id",
            description="One's answer was accepted.",
        ),
        Rule(
            rule_id="streak-day",
            event_type=STREAK_DAY,
            points=5,
            description="Each new day of a learning streak.",
        ),
    ]


def effective_rules(stored: Iterable[Rule]) -> list[Rule]:
    """Defaults overlaid by the tenant's stored rules (same rule id replaces)."""
    by_id = {rule.rule_id: rule for rule in default_rules()}
    for rule in stored:
        by_id[rule.rule_id] = rule
    return sorted(by_id.values(), key=lambda r: r.rule_id)
