"""Learning events, published by the catalog service: what learners start, complete, pass.

Every topic here is keyed by the learner id, so one learner's history stays in order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from agora_contracts.events.common import EntityId, KnowledgeType, SkillLevel
from agora_contracts.events.payload import EventPayload
from agora_contracts.events.registry import REGISTRY

COMPLETIONS_TOPIC = "agora.learning.completions.v1"
QUIZZES_TOPIC = "agora.learning.quizzes.v1"
ASSIGNMENTS_TOPIC = "agora.learning.assignments.v1"

_LEARNER = "learner_id"


@REGISTRY.event(
    "org.agora.learning.knowledge.started.v1",
    topic=COMPLETIONS_TOPIC,
    key=_LEARNER,
    description="A learner opened a knowledge item for the first time.",
)
class KnowledgeStartedV1(EventPayload):
    learner_id: EntityId = Field(description="Who started.", examples=["u-ada"])
    item_id: EntityId = Field(description="The knowledge item.", examples=["k-42"])
    item_type: KnowledgeType = Field(description="Kind of item.", examples=["video"])
    item_title: str = Field(
        max_length=300, description="Title when started.", examples=["Intro to SQL"]
    )
    estimated_minutes: int = Field(
        default=0, ge=0, description="Estimated duration of the item.", examples=[15]
    )
    path_id: EntityId | None = Field(
        default=None, description="The path it was started from, if any.", examples=["p-7"]
    )
    started_at: datetime = Field(
        description="When it was started.", examples=["2026-11-23T09:00:00Z"]
    )


@REGISTRY.event(
    "org.agora.learning.knowledge.progressed.v1",
    topic=COMPLETIONS_TOPIC,
    key=_LEARNER,
    description=(
        "A learner's progress on a knowledge item went up (emitted only when the percent "
        "rises, never for a position change alone or after completion)."
    ),
)
class KnowledgeProgressedV1(EventPayload):
    learner_id: EntityId = Field(description="Who progressed.", examples=["u-ada"])
    item_id: EntityId = Field(description="The knowledge item.", examples=["k-42"])
    item_type: KnowledgeType = Field(description="Kind of item.", examples=["video"])
    item_title: str = Field(max_length=300, description="Item title.", examples=["Intro to SQL"])
    percent: int = Field(ge=0, le=100, description="Progress now, in percent.", examples=[60])
    previous_percent: int = Field(
        ge=0, le=100, description="Progress before this change, in percent.", examples=[25]
    )
    progressed_at: datetime = Field(
        description="When the progress was recorded.", examples=["2026-11-23T09:20:00Z"]
    )


@REGISTRY.event(
    "org.agora.learning.knowledge.completed.v1",
    topic=COMPLETIONS_TOPIC,
    key=_LEARNER,
    description="A learner completed a knowledge item (emitted once per learner and item).",
)
class KnowledgeCompletedV1(EventPayload):
    learner_id: EntityId = Field(description="Who completed.", examples=["u-ada"])
    item_id: EntityId = Field(description="The knowledge item.", examples=["k-42"])
    item_type: KnowledgeType = Field(description="Kind of item.", examples=["quiz"])
    item_title: str = Field(max_length=300, description="Item title.", examples=["Intro to SQL"])
    author_id: EntityId | None = Field(
        default=None,
        description="The item's author (no credit for completing one's own content).",
        examples=["u-grace"],
    )
    skills: tuple[SkillLevel, ...] = Field(
        default=(),
        description="Skills the item teaches.",
        examples=[[{"skill_id": "sql", "level": 2}]],
    )
    themes: tuple[EntityId, ...] = Field(
        default=(), description="Theme ids of the item.", examples=[["data"]]
    )
    estimated_minutes: int = Field(
        default=0, ge=0, description="Estimated duration of the item.", examples=[15]
    )
    completed_at: datetime = Field(
        description="When it was completed.", examples=["2026-11-23T09:30:00Z"]
    )


@REGISTRY.event(
    "org.agora.learning.path.enrolled.v1",
    topic=COMPLETIONS_TOPIC,
    key=_LEARNER,
    description="A learner was enrolled in a learning path (by themselves or by assignment).",
)
class PathEnrolledV1(EventPayload):
    learner_id: EntityId = Field(description="Who is enrolled.", examples=["u-ada"])
    path_id: EntityId = Field(description="The path.", examples=["p-7"])
    path_title: str = Field(max_length=300, description="Path title.", examples=["Onboarding"])
    self_enrolled: bool = Field(
        description="True when the learner enrolled themselves.", examples=[True]
    )
    enrolled_at: datetime = Field(
        description="When the enrolment happened.", examples=["2026-11-23T09:00:00Z"]
    )


@REGISTRY.event(
    "org.agora.learning.path.completed.v1",
    topic=COMPLETIONS_TOPIC,
    key=_LEARNER,
    description="A learner completed every mandatory step of a path (emitted once).",
)
class PathCompletedV1(EventPayload):
    learner_id: EntityId = Field(description="Who completed.", examples=["u-ada"])
    path_id: EntityId = Field(description="The path.", examples=["p-7"])
    path_title: str = Field(max_length=300, description="Path title.", examples=["Onboarding"])
    skills: tuple[SkillLevel, ...] = Field(
        default=(),
        description="Target skills of the path.",
        examples=[[{"skill_id": "sql", "level": 2}]],
    )
    completed_at: datetime = Field(
        description="When the last mandatory step was completed.",
        examples=["2026-11-23T09:30:00Z"],
    )


@REGISTRY.event(
    "org.agora.learning.quiz.passed.v1",
    topic=QUIZZES_TOPIC,
    key=_LEARNER,
    description="A graded quiz attempt reached the pass mark.",
)
class QuizPassedV1(EventPayload):
    learner_id: EntityId = Field(description="Who took the quiz.", examples=["u-ada"])
    item_id: EntityId = Field(description="The quiz item.", examples=["k-quiz-1"])
    attempt_id: EntityId = Field(description="The graded attempt.", examples=["a-1"])
    attempt_number: int = Field(ge=1, description="1 for the first attempt.", examples=[1])
    score_percent: float = Field(ge=0, le=100, description="Score in percent.", examples=[85.0])
    pass_mark_percent: float = Field(
        ge=0, le=100, description="Pass mark in percent.", examples=[70.0]
    )
    skills: tuple[SkillLevel, ...] = Field(
        default=(),
        description="Skills the quiz assesses.",
        examples=[[{"skill_id": "sql", "level": 2}]],
    )
    challenge_id: EntityId | None = Field(
        default=None,
        description="Set when the attempt was made for a one-to-one challenge.",
        examples=[None],
    )
    graded_at: datetime = Field(
        description="When the attempt was graded.", examples=["2026-11-23T09:30:00Z"]
    )


@REGISTRY.event(
    "org.agora.learning.quiz.failed.v1",
    topic=QUIZZES_TOPIC,
    key=_LEARNER,
    description="A graded quiz attempt stayed below the pass mark.",
)
class QuizFailedV1(EventPayload):
    learner_id: EntityId = Field(description="Who took the quiz.", examples=["u-ada"])
    item_id: EntityId = Field(description="The quiz item.", examples=["k-quiz-1"])
    attempt_id: EntityId = Field(description="The graded attempt.", examples=["a-2"])
    attempt_number: int = Field(ge=1, description="1 for the first attempt.", examples=[2])
    score_percent: float = Field(ge=0, le=100, description="Score in percent.", examples=[40.0])
    pass_mark_percent: float = Field(
        ge=0, le=100, description="Pass mark in percent.", examples=[70.0]
    )
    attempts_left: int | None = Field(
        default=None, ge=0, description="Attempts left; null when unlimited.", examples=[1]
    )
    skills: tuple[SkillLevel, ...] = Field(
        default=(),
        description="Skills the quiz assesses.",
        examples=[[{"skill_id": "sql", "level": 2}]],
    )
    challenge_id: EntityId | None = Field(
        default=None,
        description="Set when the attempt was made for a one-to-one challenge.",
        examples=[None],
    )
    graded_at: datetime = Field(
        description="When the attempt was graded.", examples=["2026-11-23T09:30:00Z"]
    )


@REGISTRY.event(
    "org.agora.learning.assignment.created.v1",
    topic=ASSIGNMENTS_TOPIC,
    key=_LEARNER,
    description="A manager assigned a knowledge item or a path to a learner.",
)
class AssignmentCreatedV1(EventPayload):
    assignment_id: EntityId = Field(description="The assignment.", examples=["as-1"])
    learner_id: EntityId = Field(description="Who must do it.", examples=["u-ada"])
    assigned_by: EntityId = Field(
        description="The manager who assigned it (receives stalled-work digests).",
        examples=["u-boss"],
    )
    target_kind: Literal["knowledge", "path"] = Field(
        description="Whether a single item or a path was assigned.", examples=["path"]
    )
    target_id: EntityId = Field(description="The item or path id.", examples=["p-7"])
    target_title: str = Field(
        max_length=300, description="Its title.", examples=["Security basics"]
    )
    due_at: datetime | None = Field(
        default=None, description="Due date, if any.", examples=["2026-12-01T17:00:00Z"]
    )
    compliance: bool = Field(
        default=False,
        description="Mandatory training whose notifications a learner cannot turn off.",
        examples=[False],
    )
    assigned_at: datetime = Field(
        description="When it was assigned.", examples=["2026-11-23T09:00:00Z"]
    )
