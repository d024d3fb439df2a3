"""Small value models that several domains' payloads share."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

EntityId = Annotated[str, Field(min_length=1, max_length=128)]
"""An entity id as the owning service issued it (UUID or another opaque string)."""

KnowledgeType = Literal["scorm", "video", "document", "wiki", "link", "quiz", "session", "path"]
"""Kinds of learnable content; ``path`` is a learning path of several items."""

TargetType = Literal["knowledge", "path", "question", "answer", "comment", "space"]
"""What a comment, a like or a report points at."""


class SkillLevel(BaseModel):
    """A skill of the tenant's taxonomy with the level an item teaches or a person holds."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    skill_id: EntityId = Field(
        description="Skill id in the tenant's taxonomy.", examples=["python"]
    )
    level: int = Field(
        ge=1, le=5, description="Level from 1 (awareness) to 5 (expert).", examples=[2]
    )
