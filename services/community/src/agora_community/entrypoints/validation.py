"""Request models: every string and list bounded, errors naming the proto field."""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from agora.community.v1 import community_pb2 as pb
from agora_community.domain.model import SpaceRole, TargetKind, Visibility
from agora_core.identity import Role
from agora_core.text import PlainText

EntityId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^\s\x00-\x1f]+$")
]
OptionalId = Annotated[str, StringConstraints(max_length=128, pattern=r"^[^\s\x00-\x1f]*$")]
MAX_BODY: Final = 10_000
MAX_DESCRIPTION: Final = 4_000
MAX_SKILLS: Final = 10
MAX_POPULARITY_TARGETS: Final = 100

TARGET_KINDS: Final = {
    pb.TARGET_TYPE_KNOWLEDGE: TargetKind.KNOWLEDGE,
    pb.TARGET_TYPE_PATH: TargetKind.PATH,
    pb.TARGET_TYPE_QUESTION: TargetKind.QUESTION,
    pb.TARGET_TYPE_ANSWER: TargetKind.ANSWER,
    pb.TARGET_TYPE_COMMENT: TargetKind.COMMENT,
    pb.TARGET_TYPE_SPACE: TargetKind.SPACE,
}
TARGET_TYPES: Final = {kind: number for number, kind in TARGET_KINDS.items()}
VISIBILITIES: Final = {
    pb.SPACE_VISIBILITY_OPEN: Visibility.OPEN,
    pb.SPACE_VISIBILITY_INVITE_ONLY: Visibility.INVITE_ONLY,
}
ROLES: Final = {
    pb.SPACE_ROLE_OWNER: SpaceRole.OWNER,
    pb.SPACE_ROLE_MODERATOR: SpaceRole.MODERATOR,
    pb.SPACE_ROLE_MEMBER: SpaceRole.MEMBER,
}
REASONS: Final = {
    pb.REPORT_REASON_SPAM: "spam",
    pb.REPORT_REASON_ABUSE: "abuse",
    pb.REPORT_REASON_OFF_TOPIC: "off_topic",
    pb.REPORT_REASON_INACCURATE: "inaccurate",
    pb.REPORT_REASON_OTHER: "other",
}


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)


class TargetRef(Strict):
    type: TargetKind
    id: EntityId


def target_fields(target: pb.Target) -> dict[str, object]:
    """A proto target as model input (an unknown enum becomes None, refused on ``type``)."""
    return {"type": TARGET_KINDS.get(target.type), "id": target.id}


class NewSpace(Strict):
    name: PlainText = Field(min_length=1, max_length=200)
    description: str = Field(max_length=MAX_DESCRIPTION)
    visibility: Visibility
    topic: str = Field(max_length=100)


SPACE_FIELDS: Final = frozenset({"name", "description", "visibility"})
"""What UpdateSpace's update_mask may name."""


class SpaceChanges(Strict):
    space_id: EntityId
    name: PlainText = Field(max_length=200)
    description: str = Field(max_length=MAX_DESCRIPTION)
    visibility: Visibility | None


class SpaceRef(Strict):
    space_id: EntityId


class SpacePerson(Strict):
    space_id: EntityId
    user_id: EntityId


class RoleChange(SpacePerson):
    role: SpaceRole


class Discover(Strict):
    name_prefix: str = Field(max_length=100)


class NewComment(Strict):
    target: TargetRef
    parent_comment_id: OptionalId
    body: str = Field(min_length=1, max_length=MAX_BODY)


class CommentText(Strict):
    comment_id: EntityId
    body: str = Field(min_length=1, max_length=MAX_BODY)


class CommentRef(Strict):
    comment_id: EntityId


class TargetOnly(Strict):
    target: TargetRef


class PopularityQuery(Strict):
    targets: list[TargetRef] = Field(min_length=1, max_length=MAX_POPULARITY_TARGETS)


class TrendingQuery(Strict):
    target_type: TargetKind | None
    limit: int = Field(ge=0, le=100)


class NewQuestion(Strict):
    title: PlainText = Field(min_length=1, max_length=300)
    body: str = Field(max_length=MAX_BODY)
    skill_ids: list[EntityId] = Field(min_length=1, max_length=MAX_SKILLS)
    space_id: OptionalId
    item_id: OptionalId


class QuestionRef(Strict):
    question_id: EntityId


class UnansweredQuery(Strict):
    skill_id: OptionalId
    space_id: OptionalId


class NewAnswer(Strict):
    question_id: EntityId
    body: str = Field(min_length=1, max_length=MAX_BODY)


class AnswerRef(Strict):
    answer_id: EntityId


class SkillRef(Strict):
    skill_id: EntityId


class NewReport(Strict):
    content: TargetRef
    reason: Literal["spam", "abuse", "off_topic", "inaccurate", "other"]
    details: PlainText = Field(max_length=1000)


class Moderation(Strict):
    content: TargetRef
    reason: str = Field(max_length=1000)


class QueueQuery(Strict):
    space_id: OptionalId


KNOWN_ROLES: Final = frozenset(role.value for role in Role)
MAX_PEOPLE: Final = 500


class DirectoryPerson(Strict):
    person_id: EntityId
    display_name: PlainText = Field(min_length=1, max_length=200)
    roles: list[Literal["learner", "contributor", "expert", "manager", "admin"]] = Field(
        max_length=len(KNOWN_ROLES)
    )


class NewPeople(Strict):
    people: list[DirectoryPerson] = Field(min_length=1, max_length=MAX_PEOPLE)


class PeopleQuery(Strict):
    query: str = Field(min_length=1, max_length=100)
