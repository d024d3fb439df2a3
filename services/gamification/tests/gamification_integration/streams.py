"""Events other services publish, built for tests (and the benchmark's shapes)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any, Final

from agora_contracts.events.domains import catalog, community, gamification, learning
from agora_core.messaging.events import OutgoingEvent

if TYPE_CHECKING:
    from agora.gamification.v1.gamification_pb2_grpc import GamificationServiceAsyncStub

    Stub = GamificationServiceAsyncStub
else:
    Stub = Any

PUBLISHED_TOPICS: Final = [
    gamification.POINTS_TOPIC,
    gamification.BADGES_TOPIC,
    gamification.CHALLENGES_TOPIC,
]
T0: Final = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
WAIT: Final = 120.0
"""Seconds a test waits for an asynchronous state (generous: the machine is shared)."""


def completed(
    tenant: str,
    learner: str,
    item: str,
    *,
    at: dt.datetime = T0,
    item_type: str = "video",
    author: str | None = None,
    skills: tuple[str, ...] = (),
    event_id: uuid.UUID | None = None,
) -> OutgoingEvent:
    """knowledge.completed as the catalog publishes it."""
    return OutgoingEvent.create(
        learning.KnowledgeCompletedV1(
            learner_id=learner,
            item_id=item,
            item_type=item_type,
            item_title=f"Item {item}",
            author_id=author,
            skills=tuple({"skill_id": s, "level": 2} for s in skills),
            completed_at=at,
        ),
        source="/agora/catalog",
        subject=item,
        tenant_id=tenant,
        actor_id=learner,
        event_id=event_id or uuid.uuid4(),
    )


def quiz(
    tenant: str,
    learner: str,
    item: str,
    *,
    passed: bool = True,
    score: float = 80.0,
    at: dt.datetime = T0,
    challenge_id: str | None = None,
) -> OutgoingEvent:
    """quiz.passed / quiz.failed."""
    common: dict[str, Any] = {
        "learner_id": learner,
        "item_id": item,
        "attempt_id": uuid.uuid4().hex,
        "attempt_number": 1,
        "score_percent": score,
        "pass_mark_percent": 70.0,
        "challenge_id": challenge_id,
        "graded_at": at,
    }
    payload = learning.QuizPassedV1(**common) if passed else learning.QuizFailedV1(**common)
    return OutgoingEvent.create(
        payload, source="/agora/catalog", subject=item, tenant_id=tenant, actor_id=learner
    )


def liked(
    tenant: str, liker: str, owner: str | None, target: str, *, at: dt.datetime = T0
) -> OutgoingEvent:
    """like.added on a knowledge item."""
    return OutgoingEvent.create(
        community.LikeAddedV1(
            like_id=uuid.uuid4().hex,
            target_type="knowledge",
            target_id=target,
            liker_id=liker,
            target_owner_id=owner,
            liked_at=at,
        ),
        source="/agora/community",
        subject=target,
        tenant_id=tenant,
        actor_id=liker,
    )


def reviewed(tenant: str, author: str, reviewer: str, item: str, decision: str) -> OutgoingEvent:
    """submission.reviewed."""
    return OutgoingEvent.create(
        catalog.SubmissionReviewedV1(
            item_id=item,
            author_id=author,
            reviewer_id=reviewer,
            title="Tips",
            version=1,
            decision=decision,
            reviewed_at=T0,
        ),
        source="/agora/catalog",
        subject=item,
        tenant_id=tenant,
        actor_id=reviewer,
    )


def joined(tenant: str, member: str, space: str) -> OutgoingEvent:
    """member.joined."""
    return OutgoingEvent.create(
        community.MemberJoinedV1(
            space_id=space, space_name=space, member_id=member, role="member", joined_at=T0
        ),
        source="/agora/community",
        subject=space,
        tenant_id=tenant,
        actor_id=member,
    )
