"""Badge definitions: criteria as requirement groups (OR within a group, AND across)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agora_core.text import PlainText
from agora_gamification.domain.catalogue import CONSUMED, person_fields
from agora_gamification.domain.rules import IDENTIFIER, Condition, _check_conditions

MAX_GROUPS: Final = 10
MAX_REQUIREMENTS: Final = 10


class Requirement(BaseModel):
    """``count`` events of ``event_type`` matching ``conditions``, by the same person."""

    model_config = ConfigDict(frozen=True)

    event_type: str = Field(min_length=1, max_length=200)
    conditions: tuple[Condition, ...] = Field(default=(), max_length=10)
    count: int = Field(default=1, ge=1, le=10_000)
    person_field: str = Field(default="", max_length=100)

    @field_validator("event_type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in CONSUMED:
            raise ValueError(f"{value!r} is not an event type gamification consumes")
        return value

    @model_validator(mode="after")
    def _fits(self) -> Requirement:
        _check_conditions(self.event_type, self.conditions)
        if self.person_field and self.person_field not in person_fields(self.event_type):
            raise ValueError(f"person_field: {self.person_field!r} names no person")
        return self

    @property
    def progressing_field(self) -> str:
        """The payload field naming whose progress this is."""
        return self.person_field or CONSUMED[self.event_type].person_field

    def counts(self, event_type: str, payload: Mapping[str, Any], learner_id: str) -> bool:
        """Whether this event counts toward ``learner_id``'s progress."""
        return (
            event_type == self.event_type
            and payload.get(self.progressing_field) == learner_id
            and all(c.matches(payload) for c in self.conditions)
        )


class BadgeDefinition(BaseModel):
    """An Open Badges 3.0 achievement with machine-checkable criteria."""

    model_config = ConfigDict(frozen=True)

    badge_id: str = Field(pattern=IDENTIFIER)
    name: PlainText = Field(min_length=1, max_length=200)
    description: PlainText = Field(default="", max_length=2000)
    image_url: str = Field(default="", max_length=2000, pattern=r"^(https://\S+)?$")
    skill_ids: tuple[str, ...] = Field(default=(), max_length=20)
    criteria_narrative: PlainText = Field(default="", max_length=4000)
    groups: tuple[tuple[Requirement, ...], ...] = Field(min_length=1, max_length=MAX_GROUPS)
    version: int = Field(default=1, ge=1)

    @field_validator("groups")
    @classmethod
    def _groups_filled(
        cls, value: tuple[tuple[Requirement, ...], ...]
    ) -> tuple[tuple[Requirement, ...], ...]:
        for index, group in enumerate(value):
            if not 1 <= len(group) <= MAX_REQUIREMENTS:
                raise ValueError(f"{index}: needs 1 to {MAX_REQUIREMENTS} requirements")
        return value

    @field_validator("skill_ids")
    @classmethod
    def _skills(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not s or len(s) > 128 for s in value):
            raise ValueError("skill ids are 1 to 128 characters")
        return value

    def progress_keys(
        self, event_type: str, payload: Mapping[str, Any], learner_id: str
    ) -> list[str]:
        """Progress counters this event increments (``badge|group|requirement``)."""
        return [
            f"{self.badge_id}|{g}|{r}"
            for g, group in enumerate(self.groups)
            for r, requirement in enumerate(group)
            if requirement.counts(event_type, payload, learner_id)
        ]

    def satisfied(self, progress: Mapping[str, int]) -> bool:
        """Every group has at least one requirement whose count is reached."""
        return all(
            any(
                progress.get(f"{self.badge_id}|{g}|{r}", 0) >= requirement.count
                for r, requirement in enumerate(group)
            )
            for g, group in enumerate(self.groups)
        )
