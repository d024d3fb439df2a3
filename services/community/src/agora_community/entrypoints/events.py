"""Thin event handlers: translate consumed events into use cases.

Topics consumed: catalog knowledge, paths and submissions; learning completions and
quizzes; our own likes, comments, moderation (popularity) and questions (accepted
answers for the expert directory).
"""

from __future__ import annotations

from typing import Any

from agora_community.adapters.repository import StoreFactory
from agora_community.domain.model import TargetKind
from agora_community.domain.rules import COMMENT_WEIGHT, LIKE_WEIGHT
from agora_community.service_layer import popularity, projections
from agora_community.service_layer.experts import record_evidence
from agora_contracts.events import EventPayload
from agora_contracts.events.domains import catalog, community, learning
from agora_contracts.events.registry import REGISTRY
from agora_core.messaging.consumer import EventHandler
from agora_core.messaging.events import ReceivedEvent

TOPICS = (
    catalog.KNOWLEDGE_TOPIC,
    catalog.PATHS_TOPIC,
    catalog.SUBMISSIONS_TOPIC,
    learning.COMPLETIONS_TOPIC,
    learning.QUIZZES_TOPIC,
    community.LIKES_TOPIC,
    community.COMMENTS_TOPIC,
    community.MODERATION_TOPIC,
    community.QUESTIONS_TOPIC,
)


def _skills(payload: Any) -> list[str]:
    return [skill.skill_id for skill in payload.skills]


def typed(model: type[EventPayload]) -> str:
    """The CloudEvents type of a payload model."""
    return REGISTRY.spec_for(model).event_type


def event_handlers(stores: StoreFactory, half_life_hours: float) -> dict[str, EventHandler]:
    """Event type → handler, for the service's consumer."""

    async def knowledge_published(event: ReceivedEvent[catalog.KnowledgePublishedV1]) -> None:
        store, data = stores(event.tenant_id), event.payload
        await projections.target_published(
            store,
            TargetKind.KNOWLEDGE,
            data.item_id,
            owner_id=data.author_id,
            space_id=data.space_id,
            title=data.title,
            skill_ids=_skills(data),
            published_at=data.published_at,
        )
        if data.validated:
            await projections.validated_contribution(
                store, data.author_id, data.item_id, _skills(data)
            )

    async def knowledge_archived(event: ReceivedEvent[catalog.KnowledgeArchivedV1]) -> None:
        await projections.target_archived(
            stores(event.tenant_id), TargetKind.KNOWLEDGE, event.payload.item_id
        )

    async def path_published(event: ReceivedEvent[catalog.PathPublishedV1]) -> None:
        data = event.payload
        await projections.target_published(
            stores(event.tenant_id),
            TargetKind.PATH,
            data.path_id,
            owner_id=data.author_id,
            space_id=data.space_id,
            title=data.title,
            skill_ids=_skills(data),
            published_at=data.published_at,
        )

    async def path_archived(event: ReceivedEvent[catalog.PathArchivedV1]) -> None:
        await projections.target_archived(
            stores(event.tenant_id), TargetKind.PATH, event.payload.path_id
        )

    async def submission_reviewed(event: ReceivedEvent[catalog.SubmissionReviewedV1]) -> None:
        data = event.payload
        if data.decision == "approved":
            await projections.validated_contribution(
                stores(event.tenant_id), data.author_id, data.item_id, _skills(data)
            )

    async def knowledge_completed(event: ReceivedEvent[learning.KnowledgeCompletedV1]) -> None:
        data = event.payload
        await record_evidence(
            stores(event.tenant_id),
            data.learner_id,
            _skills(data),
            "completions",
            f"completion:{data.item_id}",
        )

    async def quiz_passed(event: ReceivedEvent[learning.QuizPassedV1]) -> None:
        data = event.payload
        await record_evidence(
            stores(event.tenant_id),
            data.learner_id,
            _skills(data),
            "quiz_passes",
            f"quiz:{data.item_id}",
        )

    async def quiz_failed(event: ReceivedEvent[learning.QuizFailedV1]) -> None:
        data = event.payload
        await record_evidence(
            stores(event.tenant_id),
            data.learner_id,
            _skills(data),
            "quiz_failures",
            f"quiz-failed:{data.attempt_id}",
        )

    async def answer_accepted(event: ReceivedEvent[community.AnswerAcceptedV1]) -> None:
        data = event.payload
        await record_evidence(
            stores(event.tenant_id),
            data.author_id,
            list(data.skill_ids),
            "accepted_answers",
            f"answer:{data.answer_id}",
        )

    async def like_added(event: ReceivedEvent[community.LikeAddedV1]) -> None:
        data = event.payload
        await popularity.apply_event(
            stores(event.tenant_id),
            event_id=event.event_id,
            kind=data.target_type,
            target_id=data.target_id,
            at=data.liked_at,
            half_life_hours=half_life_hours,
            likes=1,
            participant=data.liker_id,
            weight=LIKE_WEIGHT,
        )

    async def like_removed(event: ReceivedEvent[community.LikeRemovedV1]) -> None:
        data = event.payload
        await popularity.apply_event(
            stores(event.tenant_id),
            event_id=event.event_id,
            kind=data.target_type,
            target_id=data.target_id,
            at=data.removed_at,
            half_life_hours=half_life_hours,
            likes=-1,
            weight=-LIKE_WEIGHT,
        )

    async def comment_posted(event: ReceivedEvent[community.CommentPostedV1]) -> None:
        data = event.payload
        await popularity.apply_event(
            stores(event.tenant_id),
            event_id=event.event_id,
            kind=data.target_type,
            target_id=data.target_id,
            at=data.posted_at,
            half_life_hours=half_life_hours,
            comments=1,
            participant=data.author_id,
            weight=COMMENT_WEIGHT,
        )

    async def comment_deleted(event: ReceivedEvent[community.CommentDeletedV1]) -> None:
        data = event.payload
        await popularity.apply_event(
            stores(event.tenant_id),
            event_id=event.event_id,
            kind=data.target_type,
            target_id=data.target_id,
            at=data.deleted_at,
            half_life_hours=half_life_hours,
            comments=-1,
        )

    async def comment_visibility(
        event: ReceivedEvent[community.ContentHiddenV1 | community.ContentRestoredV1],
    ) -> None:
        data = event.payload
        if data.content_type != TargetKind.COMMENT.value:
            return
        store = stores(event.tenant_id)
        comment = await store.comments.find_one({"_id": data.content_id})
        if comment is None:
            return
        hidden = isinstance(data, community.ContentHiddenV1)
        at = data.hidden_at if isinstance(data, community.ContentHiddenV1) else data.restored_at
        await popularity.apply_event(
            store,
            event_id=event.event_id,
            kind=comment["target_type"],
            target_id=comment["target_id"],
            at=at,
            half_life_hours=half_life_hours,
            comments=-1 if hidden else 1,
        )

    return {
        typed(catalog.KnowledgePublishedV1): knowledge_published,
        typed(catalog.KnowledgeArchivedV1): knowledge_archived,
        typed(catalog.PathPublishedV1): path_published,
        typed(catalog.PathArchivedV1): path_archived,
        typed(catalog.SubmissionReviewedV1): submission_reviewed,
        typed(learning.KnowledgeCompletedV1): knowledge_completed,
        typed(learning.QuizPassedV1): quiz_passed,
        typed(learning.QuizFailedV1): quiz_failed,
        typed(community.AnswerAcceptedV1): answer_accepted,
        typed(community.LikeAddedV1): like_added,
        typed(community.LikeRemovedV1): like_removed,
        typed(community.CommentPostedV1): comment_posted,
        typed(community.CommentDeletedV1): comment_deleted,
        typed(community.ContentHiddenV1): comment_visibility,
        typed(community.ContentRestoredV1): comment_visibility,
    }
