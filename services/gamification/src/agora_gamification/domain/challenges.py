"""Challenges: time-boxed goals for a person, a team or a space, and quiz duels.

Goal challenges count events of one type (with conditions) by their participants
between ``starts_at`` and ``ends_at``. A person wins by reaching the target; a team or
space wins together when the members' sum reaches it (every member who contributed is
a winner). A duel is two colleagues taking the same quiz for the challenge (quiz
events carrying its ``challenge_id``); it ends when both have a graded attempt or at
the deadline. Duel winner: higher score; equal scores → earlier graded attempt; the
same score at the same instant → both win.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from agora_core.text import PlainText
from agora_gamification.domain.catalogue import CONSUMED, QUIZ_PASSED
from agora_gamification.domain.rules import Condition, _check_conditions

ChallengeScope = Literal["person", "team", "space", "duel"]
MAX_PARTICIPANTS: Final = 5000
MAX_DURATION: Final = dt.timedelta(days=366)


class NewChallenge(BaseModel):
    """A challenge as a client asks for it (participants of teams/spaces are resolved)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    title: PlainText = Field(min_length=1, max_length=200)
    scope: ChallengeScope
    scope_id: str = Field(default="", max_length=128)
    participant_ids: tuple[str, ...] = Field(default=(), max_length=2)
    event_type: str = Field(default="", max_length=200)
    conditions: tuple[Condition, ...] = Field(default=(), max_length=10)
    target: int = Field(default=0, ge=0, le=100_000)
    quiz_item_id: str = Field(default="", max_length=128)
    starts_at: dt.datetime
    ends_at: dt.datetime

    @field_validator("participant_ids")
    @classmethod
    def _ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not p or len(p) > 128 for p in value) or len(set(value)) != len(value):
            raise ValueError("participant ids are distinct, 1 to 128 characters")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> NewChallenge:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at: must be after starts_at")
        if self.ends_at - self.starts_at > MAX_DURATION:
            raise ValueError("ends_at: a challenge lasts at most 366 days")
        if self.scope in ("team", "space") and not self.scope_id:
            raise ValueError(f"scope_id: required for a {self.scope} challenge")
        if self.scope == "duel":
            if len(self.participant_ids) != 2:
                raise ValueError("participant_ids: a duel has exactly two colleagues")
            if not self.quiz_item_id:
                raise ValueError("quiz_item_id: required for a duel")
        else:
            if self.event_type not in CONSUMED:
                raise ValueError(
                    f"event_type: {self.event_type!r} is not an event type gamification consumes"
                )
            if self.target < 1:
                raise ValueError("target: at least 1")
            _check_conditions(self.event_type, self.conditions)
        return self


ChallengeState = Literal["open", "completed"]


@dataclass(frozen=True)
class DuelAttempt:
    """A duel participant's first graded attempt of the quiz."""

    learner_id: str
    event_type: str
    score: float
    graded_at: dt.datetime


@dataclass(frozen=True)
class Challenge:
    """A challenge as stored: its definition, state, and what counted so far
    (``progress``: counted events per participant; ``attempts``: a duel's attempts)."""

    challenge_id: str
    title: str
    scope: ChallengeScope
    scope_id: str
    participant_ids: tuple[str, ...]
    event_type: str
    conditions: tuple[Condition, ...]
    target: int
    quiz_item_id: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    created_by: str
    created_at: dt.datetime
    state: ChallengeState = "open"
    outcome: str = ""
    winner_ids: tuple[str, ...] = ()
    progress: Mapping[str, int] = field(default_factory=dict)
    attempts: Mapping[str, DuelAttempt] = field(default_factory=dict)


def counts_toward(
    challenge: Challenge, event_type: str, payload: Mapping[str, Any], at: dt.datetime
) -> str | None:
    """The participant an event counts for in a goal challenge, or None."""
    if challenge.scope == "duel" or challenge.event_type != event_type:
        return None
    if not challenge.starts_at <= at < challenge.ends_at:
        return None
    person = payload.get(CONSUMED[event_type].person_field)
    if not isinstance(person, str) or person not in challenge.participant_ids:
        return None
    if not all(c.matches(payload) for c in challenge.conditions):
        return None
    return person


def goal_winners(challenge: Challenge, progress: Mapping[str, int]) -> list[str] | None:
    """Winners once the goal is reached (None while it is not)."""
    target = challenge.target
    if challenge.scope == "person":
        done = [p for p in challenge.participant_ids if progress.get(p, 0) >= target]
        return done or None
    if sum(progress.values()) >= target:
        return sorted(p for p, n in progress.items() if n > 0)
    return None


def duel_winners(attempts: Mapping[str, DuelAttempt]) -> list[str]:
    """Winners of a duel from its graded attempts (see module doc for the tie rule)."""
    if not attempts:
        return []

    def strength(attempt: DuelAttempt) -> tuple[int, float, float]:
        passed = 1 if attempt.event_type == QUIZ_PASSED else 0
        return (passed, attempt.score, -attempt.graded_at.timestamp())

    best = max(strength(a) for a in attempts.values())
    return sorted(p for p, a in attempts.items() if strength(a) == best)


def deadline_winners(challenge: Challenge) -> list[str]:
    """Winners decided at the deadline: duels by their attempts, goals nobody."""
    if challenge.scope == "duel":
        return duel_winners(challenge.attempts)
    return []


def participants_of(values: Sequence[str]) -> tuple[str, ...]:
    """Sorted, distinct participant ids."""
    return tuple(sorted(set(values)))
