"""The events gamification reacts to, and who is who in each of them.

For every consumed type: the payload model (rule conditions are validated against
its fields), the *person* of the event (whose streak, badge progress and challenge
progress it is), and the *party* fields (every person id the payload names; credit
is refused when the beneficiary is another party of the same event, which is how
"no credit for acting on one's own content" is enforced for every type at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from agora_contracts.events.domains import catalog, community, learning
from agora_contracts.events.payload import EventPayload

STREAK_DAY: Final = "org.agora.gamification.streak.day"
"""Internal trigger: a learner's streak advanced to a new local day (rules may credit it)."""


@dataclass(frozen=True)
class ConsumedType:
    """One consumed event type as gamification sees it."""

    event_type: str
    payload: type[EventPayload] | None
    person_field: str
    party_fields: tuple[str, ...]
    learning_activity: bool = False


def _spec(model: type[EventPayload]) -> str:
    from agora_contracts.events.registry import REGISTRY

    return REGISTRY.spec_for(model).event_type


_LEARNING = ("learner_id",)

CONSUMED: Final[dict[str, ConsumedType]] = {
    c.event_type: c
    for c in (
        ConsumedType(
            _spec(learning.KnowledgeStartedV1),
            learning.KnowledgeStartedV1,
            "learner_id",
            _LEARNING,
            learning_activity=True,
        ),
        ConsumedType(
            _spec(learning.KnowledgeCompletedV1),
            learning.KnowledgeCompletedV1,
            "learner_id",
            ("learner_id", "author_id"),
            learning_activity=True,
        ),
        ConsumedType(
            _spec(learning.PathCompletedV1),
            learning.PathCompletedV1,
            "learner_id",
            _LEARNING,
            learning_activity=True,
        ),
        ConsumedType(
            _spec(learning.QuizPassedV1),
            learning.QuizPassedV1,
            "learner_id",
            _LEARNING,
            learning_activity=True,
        ),
        ConsumedType(
            _spec(learning.QuizFailedV1),
            learning.QuizFailedV1,
            "learner_id",
            _LEARNING,
            learning_activity=True,
        ),
        ConsumedType(
            _spec(catalog.SubmissionReviewedV1),
            catalog.SubmissionReviewedV1,
            "author_id",
            ("author_id", "reviewer_id"),
        ),
        ConsumedType(
            _spec(catalog.KnowledgePublishedV1),
            catalog.KnowledgePublishedV1,
            "author_id",
            ("author_id", "validated_by"),
        ),
        ConsumedType(
            _spec(community.LikeAddedV1),
            community.LikeAddedV1,
            "liker_id",
            ("liker_id", "target_owner_id"),
        ),
        ConsumedType(
            _spec(community.LikeRemovedV1),
            community.LikeRemovedV1,
            "liker_id",
            ("liker_id", "target_owner_id"),
        ),
        ConsumedType(
            _spec(community.CommentPostedV1),
            community.CommentPostedV1,
            "author_id",
            ("author_id", "target_owner_id"),
        ),
        ConsumedType(
            _spec(community.AnswerAcceptedV1),
            community.AnswerAcceptedV1,
            "author_id",
            ("author_id", "asker_id"),
        ),
        ConsumedType(_spec(community.MemberJoinedV1), community.MemberJoinedV1, "member_id", ()),
        ConsumedType(_spec(community.MemberLeftV1), community.MemberLeftV1, "member_id", ()),
        ConsumedType(STREAK_DAY, None, "learner_id", ()),
    )
}

MEMBER_JOINED: Final = _spec(community.MemberJoinedV1)
MEMBER_LEFT: Final = _spec(community.MemberLeftV1)
QUIZ_PASSED: Final = _spec(learning.QuizPassedV1)
QUIZ_FAILED: Final = _spec(learning.QuizFailedV1)

STREAK_DAY_FIELDS: Final = frozenset({"learner_id", "current_days", "longest_days"})


def payload_fields(event_type: str) -> frozenset[str]:
    """Top-level payload field names a condition may refer to."""
    consumed = CONSUMED[event_type]
    if consumed.payload is None:
        return STREAK_DAY_FIELDS
    return frozenset(consumed.payload.model_fields)


def person_fields(event_type: str) -> frozenset[str]:
    """Fields that may name a credited or progressing person."""
    consumed = CONSUMED[event_type]
    return frozenset({consumed.person_field, *consumed.party_fields})
