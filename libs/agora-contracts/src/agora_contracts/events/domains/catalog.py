"""Catalog events: the contribution workflow and the life of knowledge items.

Keyed by the knowledge item id, so one item's workflow stays in order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from agora_contracts.events.common import EntityId, KnowledgeType, SkillLevel
from agora_contracts.events.payload import EventPayload
from agora_contracts.events.registry import REGISTRY

SUBMISSIONS_TOPIC = "agora.catalog.submissions.v1"
KNOWLEDGE_TOPIC = "agora.catalog.knowledge.v1"
PATHS_TOPIC = "agora.catalog.paths.v1"

_ITEM = "item_id"


@REGISTRY.event(
    "org.agora.catalog.submission.submitted.v1",
    topic=SUBMISSIONS_TOPIC,
    key=_ITEM,
    description="A contributor submitted a draft for expert validation; it waits in review.",
)
class SubmissionSubmittedV1(EventPayload):
    item_id: EntityId = Field(description="The knowledge item.", examples=["k-42"])
    author_id: EntityId = Field(description="The contributor.", examples=["u-grace"])
    item_type: KnowledgeType = Field(description="Kind of item.", examples=["wiki"])
    title: str = Field(max_length=300, description="Item title.", examples=["Git rebase tips"])
    version: int = Field(ge=1, description="Version submitted.", examples=[1])
    skills: tuple[SkillLevel, ...] = Field(
        default=(),
        description="Skills of the item (who may review it).",
        examples=[[{"skill_id": "git", "level": 3}]],
    )
    reviewer_ids: tuple[EntityId, ...] = Field(
        default=(),
        description="Experts and trainers of those skills who can take it from the queue.",
        examples=[["u-linus"]],
    )
    submitted_at: datetime = Field(
        description="When it was submitted.", examples=["2026-11-23T09:00:00Z"]
    )


@REGISTRY.event(
    "org.agora.catalog.submission.reviewed.v1",
    topic=SUBMISSIONS_TOPIC,
    key=_ITEM,
    description="An expert decided on a submission: approved, changes requested or rejected.",
)
class SubmissionReviewedV1(EventPayload):
    item_id: EntityId = Field(description="The knowledge item.", examples=["k-42"])
    author_id: EntityId = Field(description="The contributor.", examples=["u-grace"])
    reviewer_id: EntityId = Field(description="The expert who decided.", examples=["u-linus"])
    title: str = Field(max_length=300, description="Item title.", examples=["Git rebase tips"])
    version: int = Field(ge=1, description="Version reviewed.", examples=[1])
    decision: Literal["approved", "changes_requested", "rejected"] = Field(
        description="The decision.", examples=["approved"]
    )
    comment: str = Field(
        default="", max_length=4000, description="The reviewer's comment.", examples=["Great."]
    )
    skills: tuple[SkillLevel, ...] = Field(
        default=(),
        description="Skills of the item.",
        examples=[[{"skill_id": "git", "level": 3}]],
    )
    reviewed_at: datetime = Field(
        description="When it was decided.", examples=["2026-11-23T10:00:00Z"]
    )


@REGISTRY.event(
    "org.agora.catalog.knowledge.published.v1",
    topic=KNOWLEDGE_TOPIC,
    key=_ITEM,
    description=(
        "A knowledge item became visible to learners: validated by an expert, published "
        "by an editor, or shared informally in a community space."
    ),
)
class KnowledgePublishedV1(EventPayload):
    item_id: EntityId = Field(description="The knowledge item.", examples=["k-42"])
    item_type: KnowledgeType = Field(description="Kind of item.", examples=["wiki"])
    title: str = Field(max_length=300, description="Item title.", examples=["Git rebase tips"])
    summary: str = Field(
        default="", max_length=2000, description="Short summary.", examples=["Rebase safely."]
    )
    author_id: EntityId = Field(description="The author.", examples=["u-grace"])
    version: int = Field(ge=1, description="Version published.", examples=[1])
    validated: bool = Field(
        description="True when an expert validated it (false for informal sharing).",
        examples=[True],
    )
    validated_by: EntityId | None = Field(
        default=None, description="The validating expert.", examples=["u-linus"]
    )
    space_id: EntityId | None = Field(
        default=None,
        description="The community space it is visible in; null for the whole tenant.",
        examples=[None],
    )
    language: str = Field(max_length=16, description="BCP 47 language tag.", examples=["fr"])
    estimated_minutes: int = Field(default=0, ge=0, description="Estimated duration.", examples=[5])
    skills: tuple[SkillLevel, ...] = Field(
        default=(),
        description="Skills the item teaches.",
        examples=[[{"skill_id": "git", "level": 3}]],
    )
    themes: tuple[EntityId, ...] = Field(
        default=(), description="Theme ids.", examples=[["engineering"]]
    )
    published_at: datetime = Field(
        description="When it was published.", examples=["2026-11-23T10:00:00Z"]
    )


@REGISTRY.event(
    "org.agora.catalog.knowledge.archived.v1",
    topic=KNOWLEDGE_TOPIC,
    key=_ITEM,
    description="A knowledge item was withdrawn from the catalogue.",
)
class KnowledgeArchivedV1(EventPayload):
    item_id: EntityId = Field(description="The knowledge item.", examples=["k-42"])
    author_id: EntityId = Field(description="The author.", examples=["u-grace"])
    title: str = Field(max_length=300, description="Item title.", examples=["Git rebase tips"])
    reason: str = Field(
        default="", max_length=1000, description="Why it was archived.", examples=["Outdated"]
    )
    archived_at: datetime = Field(
        description="When it was archived.", examples=["2026-11-23T10:00:00Z"]
    )


class PathStepV1(EventPayload):
    """One step of a published path."""

    item_id: EntityId = Field(description="The knowledge item of the step.", examples=["k-42"])
    mandatory: bool = Field(description="Whether completing the path needs it.", examples=[True])
    estimated_minutes: int = Field(
        default=0, ge=0, description="Estimated duration of the item.", examples=[10]
    )


@REGISTRY.event(
    "org.agora.catalog.path.published.v1",
    topic=PATHS_TOPIC,
    key="path_id",
    description="A learning path (ordered steps) was published or republished with changes.",
)
class PathPublishedV1(EventPayload):
    path_id: EntityId = Field(description="The path.", examples=["p-7"])
    title: str = Field(max_length=300, description="Path title.", examples=["Onboarding"])
    author_id: EntityId = Field(description="Who built it.", examples=["u-grace"])
    onboarding: bool = Field(
        default=False, description="An onboarding path for newcomers.", examples=[True]
    )
    steps: tuple[PathStepV1, ...] = Field(
        description="Steps in order.",
        examples=[[{"item_id": "k-42", "mandatory": True, "estimated_minutes": 10}]],
    )
    skills: tuple[SkillLevel, ...] = Field(
        default=(),
        description="Target skills.",
        examples=[[{"skill_id": "git", "level": 2}]],
    )
    space_id: EntityId | None = Field(
        default=None, description="Space it is visible in; null for the tenant.", examples=[None]
    )
    published_at: datetime = Field(
        description="When it was published.", examples=["2026-11-23T10:00:00Z"]
    )


@REGISTRY.event(
    "org.agora.catalog.path.archived.v1",
    topic=PATHS_TOPIC,
    key="path_id",
    description="A learning path was withdrawn.",
)
class PathArchivedV1(EventPayload):
    path_id: EntityId = Field(description="The path.", examples=["p-7"])
    archived_at: datetime = Field(
        description="When it was archived.", examples=["2026-11-23T10:00:00Z"]
    )
