"""The catalog's domain objects, as repositories hand them to use cases (no I/O).

Type-specific content (a video's URL, a quiz's questions, a session's place) is
free-form per type and stays a mapping; everything queried, sorted or counted is a
typed attribute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agora_catalog.domain.learning import Step
from agora_catalog.domain.workflow import ItemFacts


@dataclass(frozen=True, slots=True)
class SkillLevel:
    skill_id: str
    level: int


@dataclass(frozen=True, slots=True)
class Theme:
    theme_id: str
    name: str
    parent_id: str
    ancestors: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Skill:
    skill_id: str
    name: str
    expert_ids: tuple[str, ...]
    trainer_ids: tuple[str, ...]

    @property
    def reviewer_ids(self) -> tuple[str, ...]:
        """Experts and trainers: who may review content of this skill."""
        return tuple(dict.fromkeys([*self.expert_ids, *self.trainer_ids]))


@dataclass(frozen=True, slots=True)
class ItemFields:
    """What the author sets on an item (checked, sanitised), stored as one version."""

    type: str
    title: str
    summary: str
    language: str
    estimated_minutes: int
    theme_ids: tuple[str, ...]
    theme_scope: tuple[str, ...]
    """The item's themes and all their ancestors (a filter on a theme finds sub-themes)."""
    skills: tuple[SkillLevel, ...]
    space_id: str
    content: dict[str, Any]
    answer_key: dict[str, list[str]] | None = None
    """Quiz answers; server-side only, never mapped to a response."""
    seats: int | None = None

    @property
    def skill_ids(self) -> tuple[str, ...]:
        return tuple(s.skill_id for s in self.skills)

    @property
    def body(self) -> str:
        """The searchable body: a wiki's Markdown, a quiz's questions and choices."""
        if self.type == "wiki":
            return str(self.content.get("markdown", ""))
        if self.type == "quiz":
            questions = self.content.get("questions", [])
            texts = [q["text"] for q in questions]
            texts += [c["text"] for q in questions for c in q["choices"]]
            return " ".join(texts)
        return ""


@dataclass(frozen=True, slots=True)
class Item:
    item_id: str
    fields: ItemFields
    author_id: str
    status: str
    version: int
    like_count: int
    comment_count: int
    reviewer_id: str
    review_comment: str
    validated: bool
    create_time: datetime
    update_time: datetime
    publish_time: datetime | None
    sort_time: datetime
    popularity: int = 0
    registered_ids: tuple[str, ...] = ()
    seats_left: int | None = None

    @property
    def facts(self) -> ItemFacts:
        return ItemFacts(author_id=self.author_id, reviewer_id=self.reviewer_id or None)


@dataclass(frozen=True, slots=True)
class ItemVersion:
    version: int
    title: str
    summary: str
    editor_id: str
    create_time: datetime


@dataclass(frozen=True, slots=True)
class Path:
    path_id: str
    title: str
    description: str
    objectives: tuple[str, ...]
    steps: tuple[Step, ...]
    target_skills: tuple[SkillLevel, ...]
    onboarding: bool
    space_id: str
    author_id: str
    status: str
    like_count: int
    comment_count: int
    create_time: datetime


@dataclass(frozen=True, slots=True)
class Enrolment:
    learner_id: str
    path_id: str
    path_title: str
    steps: tuple[Step, ...]
    target_skills: tuple[SkillLevel, ...]
    completed_item_ids: tuple[str, ...]
    self_enrolled: bool
    enrolled_at: datetime
    completed: bool
    completed_at: datetime | None

    @property
    def mandatory_ids(self) -> list[str]:
        return [s.item_id for s in self.steps if s.mandatory]


@dataclass(frozen=True, slots=True)
class Progress:
    learner_id: str
    item_id: str
    item_title: str
    item_type: str
    percent: int
    last_position: str
    completed: bool
    started_at: datetime
    updated_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class Assignment:
    assignment_id: str
    learner_id: str
    assigned_by: str
    target_kind: str
    target_id: str
    target_title: str
    due_at: datetime | None
    compliance: bool
    assigned_at: datetime


@dataclass(frozen=True, slots=True)
class AssignmentStatus:
    """An assignment with where its learner stands."""

    assignment: Assignment
    state: str
    overdue: bool
    percent: int
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class QuizAttempt:
    attempt_id: str
    learner_id: str
    item_id: str
    number: int
    score_percent: float
    passed: bool
    results: tuple[tuple[str, bool], ...]
    skill_ids: tuple[str, ...]
    graded_at: datetime
    attempts_left: int


@dataclass(frozen=True, slots=True)
class SkillReport:
    skill_id: str
    skill_name: str
    learners_completed: int
    completions: int
    quiz_attempts: int
    quiz_passed: int
    quiz_pass_rate_percent: float = field(default=0.0)
