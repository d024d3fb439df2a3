"""Thin event handlers: community popularity, and our own learning events.

Own events consumed (see README): ``knowledge.completed`` advances path enrolments,
``quiz.passed`` completes the quiz item if the grading call did not get to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from agora_catalog.service_layer.learning import Learning
from agora_catalog.service_layer.popularity import Popularity
from agora_contracts.events.domains.community import (
    COMMENTS_TOPIC,
    LIKES_TOPIC,
    CommentPostedV1,
    LikeAddedV1,
    LikeRemovedV1,
)
from agora_contracts.events.domains.learning import (
    COMPLETIONS_TOPIC,
    QUIZZES_TOPIC,
    KnowledgeCompletedV1,
    QuizPassedV1,
)
from agora_contracts.events.registry import REGISTRY
from agora_core.messaging.consumer import EventHandler
from agora_core.messaging.events import ReceivedEvent

TOPICS: Final = (LIKES_TOPIC, COMMENTS_TOPIC, COMPLETIONS_TOPIC, QUIZZES_TOPIC)


def handlers(popularity: Popularity, learning: Learning) -> Mapping[str, EventHandler]:
    """Event type → handler for the catalog's consumer."""

    async def like_added(event: ReceivedEvent[Any]) -> None:
        like: LikeAddedV1 = event.payload
        await popularity.apply(
            event.tenant_id,
            like.target_type,
            like.target_id,
            event.event_id,
            occurred_at=event.envelope.time,
            likes=1,
            comments=0,
        )

    async def like_removed(event: ReceivedEvent[Any]) -> None:
        like: LikeRemovedV1 = event.payload
        await popularity.apply(
            event.tenant_id,
            like.target_type,
            like.target_id,
            event.event_id,
            occurred_at=event.envelope.time,
            likes=-1,
            comments=0,
        )

    async def comment_posted(event: ReceivedEvent[Any]) -> None:
        comment: CommentPostedV1 = event.payload
        await popularity.apply(
            event.tenant_id,
            comment.target_type,
            comment.target_id,
            event.event_id,
            occurred_at=event.envelope.time,
            likes=0,
            comments=1,
        )

    async def knowledge_completed(event: ReceivedEvent[Any]) -> None:
        completed: KnowledgeCompletedV1 = event.payload
        await learning.advance_paths(
            event.tenant_id,
            completed.learner_id,
            completed.item_id,
            event.event_id,
            completed.completed_at,
        )

    async def quiz_passed(event: ReceivedEvent[Any]) -> None:
        passed: QuizPassedV1 = event.payload
        await learning.complete_passed_quiz(event.tenant_id, passed.learner_id, passed.item_id)

    return {
        REGISTRY.spec_for(LikeAddedV1).event_type: like_added,
        REGISTRY.spec_for(LikeRemovedV1).event_type: like_removed,
        REGISTRY.spec_for(CommentPostedV1).event_type: comment_posted,
        REGISTRY.spec_for(KnowledgeCompletedV1).event_type: knowledge_completed,
        REGISTRY.spec_for(QuizPassedV1).event_type: quiz_passed,
    }
