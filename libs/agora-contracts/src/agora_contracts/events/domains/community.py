"""Community events: likes, comments and mentions, questions, spaces, moderation, popularity.

Likes, comments and popularity are keyed by the target id (order per target), questions
by the question id, spaces by the space id, moderation by the reported content id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from agora_contracts.events.common import EntityId, TargetType
from agora_contracts.events.payload import EventPayload
from agora_contracts.events.registry import REGISTRY

LIKES_TOPIC = "agora.community.likes.v1"
COMMENTS_TOPIC = "agora.community.comments.v1"
QUESTIONS_TOPIC = "agora.community.questions.v1"
SPACES_TOPIC = "agora.community.spaces.v1"
MODERATION_TOPIC = "agora.community.moderation.v1"
POPULARITY_TOPIC = "agora.community.popularity.v1"

_TARGET = "target_id"


@REGISTRY.event(
    "org.agora.community.like.added.v1",
    topic=LIKES_TOPIC,
    key=_TARGET,
    description="A person liked a target (once per person and target).",
)
class LikeAddedV1(EventPayload):
    like_id: EntityId = Field(description="The like.", examples=["l-1"])
    target_type: TargetType = Field(description="What was liked.", examples=["knowledge"])
    target_id: EntityId = Field(description="The liked entity.", examples=["k-42"])
    liker_id: EntityId = Field(description="Who liked.", examples=["u-ada"])
    target_owner_id: EntityId | None = Field(
        default=None,
        description="Author of the liked content (who receives the like), when known.",
        examples=["u-grace"],
    )
    space_id: EntityId | None = Field(
        default=None, description="Space of the target, if any.", examples=[None]
    )
    liked_at: datetime = Field(description="When.", examples=["2026-11-23T10:00:00Z"])


@REGISTRY.event(
    "org.agora.community.like.removed.v1",
    topic=LIKES_TOPIC,
    key=_TARGET,
    description="A person withdrew their like.",
)
class LikeRemovedV1(EventPayload):
    like_id: EntityId = Field(description="The withdrawn like.", examples=["l-1"])
    target_type: TargetType = Field(description="What was unliked.", examples=["knowledge"])
    target_id: EntityId = Field(description="The entity.", examples=["k-42"])
    liker_id: EntityId = Field(description="Who unliked.", examples=["u-ada"])
    target_owner_id: EntityId | None = Field(
        default=None, description="Author of the content, when known.", examples=["u-grace"]
    )
    removed_at: datetime = Field(description="When.", examples=["2026-11-23T10:05:00Z"])


@REGISTRY.event(
    "org.agora.community.comment.posted.v1",
    topic=COMMENTS_TOPIC,
    key=_TARGET,
    description="A person posted a comment on a target (or replied to a comment).",
)
class CommentPostedV1(EventPayload):
    comment_id: EntityId = Field(description="The comment.", examples=["c-9"])
    target_type: TargetType = Field(description="What it comments.", examples=["knowledge"])
    target_id: EntityId = Field(description="The commented entity.", examples=["k-42"])
    author_id: EntityId = Field(description="Who wrote it.", examples=["u-ada"])
    target_owner_id: EntityId | None = Field(
        default=None,
        description="Author of the commented content, when known (is told of the comment).",
        examples=["u-grace"],
    )
    parent_comment_id: EntityId | None = Field(
        default=None, description="The comment replied to, for threads.", examples=[None]
    )
    space_id: EntityId | None = Field(
        default=None, description="Space of the target, if any.", examples=["s-data"]
    )
    excerpt: str = Field(
        max_length=280, description="Plain-text start of the comment.", examples=["Nice!"]
    )
    mentioned_user_ids: tuple[EntityId, ...] = Field(
        default=(), description="People mentioned in it.", examples=[["u-linus"]]
    )
    posted_at: datetime = Field(description="When.", examples=["2026-11-23T10:00:00Z"])


@REGISTRY.event(
    "org.agora.community.comment.deleted.v1",
    topic=COMMENTS_TOPIC,
    key=_TARGET,
    description="The author deleted a comment; a tombstone keeps its place in the thread.",
)
class CommentDeletedV1(EventPayload):
    comment_id: EntityId = Field(description="The deleted comment.", examples=["c-9"])
    target_type: TargetType = Field(description="What it commented.", examples=["knowledge"])
    target_id: EntityId = Field(description="The commented entity.", examples=["k-42"])
    author_id: EntityId = Field(description="Who wrote and deleted it.", examples=["u-ada"])
    deleted_at: datetime = Field(description="When.", examples=["2026-11-23T10:30:00Z"])


@REGISTRY.event(
    "org.agora.community.mention.created.v1",
    topic=COMMENTS_TOPIC,
    key=_TARGET,
    description="A comment mentioned a person (one event per person mentioned).",
)
class MentionCreatedV1(EventPayload):
    comment_id: EntityId = Field(description="The comment.", examples=["c-9"])
    target_type: TargetType = Field(description="What it comments.", examples=["knowledge"])
    target_id: EntityId = Field(description="The commented entity.", examples=["k-42"])
    author_id: EntityId = Field(description="Who mentioned.", examples=["u-ada"])
    mentioned_user_id: EntityId = Field(description="Who was mentioned.", examples=["u-linus"])
    excerpt: str = Field(
        max_length=280, description="Plain-text start of the comment.", examples=["@linus?"]
    )
    mentioned_at: datetime = Field(description="When.", examples=["2026-11-23T10:00:00Z"])


@REGISTRY.event(
    "org.agora.community.question.asked.v1",
    topic=QUESTIONS_TOPIC,
    key="question_id",
    description="A person asked the experts a question tagged with skills.",
)
class QuestionAskedV1(EventPayload):
    question_id: EntityId = Field(description="The question.", examples=["q-3"])
    asker_id: EntityId = Field(description="Who asked.", examples=["u-ada"])
    title: str = Field(max_length=300, description="Question title.", examples=["Why rebase?"])
    skill_ids: tuple[EntityId, ...] = Field(
        description="Skills the question is about.", examples=[["git"]]
    )
    space_id: EntityId | None = Field(
        default=None, description="Space it was asked in.", examples=[None]
    )
    item_id: EntityId | None = Field(
        default=None, description="Knowledge item it is about.", examples=["k-42"]
    )
    proposed_expert_ids: tuple[EntityId, ...] = Field(
        default=(), description="Experts proposed to answer.", examples=[["u-linus"]]
    )
    asked_at: datetime = Field(description="When.", examples=["2026-11-23T10:00:00Z"])


@REGISTRY.event(
    "org.agora.community.answer.posted.v1",
    topic=QUESTIONS_TOPIC,
    key="question_id",
    description="Someone answered a question.",
)
class AnswerPostedV1(EventPayload):
    answer_id: EntityId = Field(description="The answer.", examples=["an-1"])
    question_id: EntityId = Field(description="The question.", examples=["q-3"])
    question_title: str = Field(
        max_length=300, description="Question title.", examples=["Why rebase?"]
    )
    asker_id: EntityId = Field(description="Who asked (is told of the answer).", examples=["u-ada"])
    author_id: EntityId = Field(description="Who answered.", examples=["u-linus"])
    excerpt: str = Field(
        max_length=280, description="Plain-text start of the answer.", examples=["Because…"]
    )
    posted_at: datetime = Field(description="When.", examples=["2026-11-23T10:00:00Z"])


@REGISTRY.event(
    "org.agora.community.answer.accepted.v1",
    topic=QUESTIONS_TOPIC,
    key="question_id",
    description="The asker accepted an answer.",
)
class AnswerAcceptedV1(EventPayload):
    answer_id: EntityId = Field(description="The accepted answer.", examples=["an-1"])
    question_id: EntityId = Field(description="The question.", examples=["q-3"])
    asker_id: EntityId = Field(description="Who asked and accepted.", examples=["u-ada"])
    author_id: EntityId = Field(description="Who wrote the answer.", examples=["u-linus"])
    skill_ids: tuple[EntityId, ...] = Field(
        default=(), description="Skills of the question.", examples=[["git"]]
    )
    accepted_at: datetime = Field(description="When.", examples=["2026-11-23T10:00:00Z"])


@REGISTRY.event(
    "org.agora.community.member.joined.v1",
    topic=SPACES_TOPIC,
    key="space_id",
    description="A person joined a community space.",
)
class MemberJoinedV1(EventPayload):
    space_id: EntityId = Field(description="The space.", examples=["s-data"])
    space_name: str = Field(max_length=200, description="Space name.", examples=["Data guild"])
    member_id: EntityId = Field(description="Who joined.", examples=["u-ada"])
    role: Literal["owner", "moderator", "member"] = Field(
        description="Role in the space.", examples=["member"]
    )
    invited_by: EntityId | None = Field(
        default=None, description="Who invited them, for invite-only spaces.", examples=[None]
    )
    joined_at: datetime = Field(description="When.", examples=["2026-11-23T10:00:00Z"])


@REGISTRY.event(
    "org.agora.community.member.left.v1",
    topic=SPACES_TOPIC,
    key="space_id",
    description="A person left (or was removed from) a community space.",
)
class MemberLeftV1(EventPayload):
    space_id: EntityId = Field(description="The space.", examples=["s-data"])
    member_id: EntityId = Field(description="Who left.", examples=["u-ada"])
    left_at: datetime = Field(description="When.", examples=["2026-11-23T10:00:00Z"])


@REGISTRY.event(
    "org.agora.community.content.reported.v1",
    topic=MODERATION_TOPIC,
    key="content_id",
    description="A person reported content to the moderators.",
)
class ContentReportedV1(EventPayload):
    report_id: EntityId = Field(description="The report.", examples=["r-1"])
    content_type: TargetType = Field(description="Kind of content.", examples=["comment"])
    content_id: EntityId = Field(description="The reported content.", examples=["c-9"])
    reporter_id: EntityId = Field(description="Who reported.", examples=["u-ada"])
    reason: Literal["spam", "abuse", "off_topic", "inaccurate", "other"] = Field(
        description="Why.", examples=["spam"]
    )
    space_id: EntityId | None = Field(
        default=None, description="Space of the content.", examples=[None]
    )
    reported_at: datetime = Field(description="When.", examples=["2026-11-23T10:00:00Z"])


@REGISTRY.event(
    "org.agora.community.content.hidden.v1",
    topic=MODERATION_TOPIC,
    key="content_id",
    description="A moderator hid content; only moderators still see it.",
)
class ContentHiddenV1(EventPayload):
    content_type: TargetType = Field(description="Kind of content.", examples=["comment"])
    content_id: EntityId = Field(description="The hidden content.", examples=["c-9"])
    author_id: EntityId | None = Field(
        default=None, description="Author of the content.", examples=["u-troll"]
    )
    moderator_id: EntityId = Field(description="Who hid it.", examples=["u-mod"])
    reason: str = Field(default="", max_length=1000, description="Why.", examples=["spam"])
    hidden_at: datetime = Field(description="When.", examples=["2026-11-23T10:00:00Z"])


@REGISTRY.event(
    "org.agora.community.content.restored.v1",
    topic=MODERATION_TOPIC,
    key="content_id",
    description="A moderator restored hidden content.",
)
class ContentRestoredV1(EventPayload):
    content_type: TargetType = Field(description="Kind of content.", examples=["comment"])
    content_id: EntityId = Field(description="The restored content.", examples=["c-9"])
    moderator_id: EntityId = Field(description="Who restored it.", examples=["u-mod"])
    restored_at: datetime = Field(description="When.", examples=["2026-11-23T10:00:00Z"])


@REGISTRY.event(
    "org.agora.community.popularity.changed.v1",
    topic=POPULARITY_TOPIC,
    key=_TARGET,
    description="A target's popularity indicators changed (a like, a comment, a participant).",
)
class PopularityChangedV1(EventPayload):
    target_type: TargetType = Field(description="Kind of target.", examples=["knowledge"])
    target_id: EntityId = Field(description="The target.", examples=["k-42"])
    likes: int = Field(ge=0, description="Current like count.", examples=[12])
    comments: int = Field(ge=0, description="Visible comments.", examples=[4])
    participants: int = Field(
        ge=0, description="Distinct people who liked or commented.", examples=[9]
    )
    trending_score: float = Field(
        ge=0, description="Time-decayed engagement score at ``as_of``.", examples=[3.7]
    )
    as_of: datetime = Field(
        description="When the indicators were computed.", examples=["2026-11-23T10:00:00Z"]
    )
