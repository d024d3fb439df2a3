"""Consumed events as tables of rules, applied in the batch's unit of work.

Topics consumed: catalog knowledge, paths and submissions; learning completions and
quizzes; our own likes, comments, moderation (popularity) and questions (accepted
answers for the expert directory). Handlers that differed only by constants are rows
of :data:`EVIDENCE_RULES` and :data:`ENGAGEMENT_RULES`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from agora_community.adapters.postgres.unit_of_work import CommunityUnitOfWork
from agora_community.domain.model import CatalogTarget, TargetKind
from agora_community.domain.rules import COMMENT_WEIGHT, LIKE_WEIGHT
from agora_community.service_layer import popularity, projections
from agora_community.service_layer.experts import record_evidence
from agora_community.service_layer.popularity import Engagement
from agora_contracts.events import EventPayload
from agora_contracts.events.domains import catalog, community, learning
from agora_contracts.events.registry import REGISTRY
from agora_core.messaging.batch_consumer import BatchEventHandler, EventSetHandler, by_tenant
from agora_core.messaging.events import ReceivedEvent
from agora_core.postgres import UnitOfWork

TOPICS: Final = (
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


def typed(model: type[EventPayload]) -> str:
    """The CloudEvents type of a payload model."""
    return REGISTRY.spec_for(model).event_type


def _skills(payload: Any) -> list[str]:
    return [skill.skill_id for skill in payload.skills]


@dataclass(frozen=True)
class EvidenceRule:
    """An event that is evidence of expertise: whose, in which skills, which counter,
    and the key that makes it count once."""

    person: Callable[[Any], str]
    skills: Callable[[Any], list[str]]
    counter: str
    key: Callable[[Any], str]
    when: Callable[[Any], bool] = lambda _: True


EVIDENCE_RULES: Final[dict[type[EventPayload], EvidenceRule]] = {
    catalog.KnowledgePublishedV1: EvidenceRule(
        lambda p: p.author_id,
        _skills,
        "validated_contributions",
        lambda p: f"contribution:{p.item_id}",
        when=lambda p: bool(p.validated),
    ),
    catalog.SubmissionReviewedV1: EvidenceRule(
        lambda p: p.author_id,
        _skills,
        "validated_contributions",
        lambda p: f"contribution:{p.item_id}",
        when=lambda p: p.decision == "approved",
    ),
    learning.KnowledgeCompletedV1: EvidenceRule(
        lambda p: p.learner_id, _skills, "completions", lambda p: f"completion:{p.item_id}"
    ),
    learning.QuizPassedV1: EvidenceRule(
        lambda p: p.learner_id, _skills, "quiz_passes", lambda p: f"quiz:{p.item_id}"
    ),
    learning.QuizFailedV1: EvidenceRule(
        lambda p: p.learner_id, _skills, "quiz_failures", lambda p: f"quiz-failed:{p.attempt_id}"
    ),
    community.AnswerAcceptedV1: EvidenceRule(
        lambda p: p.author_id,
        lambda p: list(p.skill_ids),
        "accepted_answers",
        lambda p: f"answer:{p.answer_id}",
    ),
}

ENGAGEMENT_RULES: Final[dict[type[EventPayload], Callable[[Any], Engagement]]] = {
    community.LikeAddedV1: lambda p: Engagement(
        p.target_type, p.target_id, p.liked_at, likes=1, participant=p.liker_id, weight=LIKE_WEIGHT
    ),
    community.LikeRemovedV1: lambda p: Engagement(
        p.target_type, p.target_id, p.removed_at, likes=-1, weight=-LIKE_WEIGHT
    ),
    community.CommentPostedV1: lambda p: Engagement(
        p.target_type,
        p.target_id,
        p.posted_at,
        comments=1,
        participant=p.author_id,
        weight=COMMENT_WEIGHT,
    ),
    community.CommentDeletedV1: lambda p: Engagement(
        p.target_type, p.target_id, p.deleted_at, comments=-1
    ),
}

# Catalog targets: (kind, id field) of the events that publish or archive them.
PUBLISHED: Final[dict[type[EventPayload], tuple[TargetKind, str]]] = {
    catalog.KnowledgePublishedV1: (TargetKind.KNOWLEDGE, "item_id"),
    catalog.PathPublishedV1: (TargetKind.PATH, "path_id"),
}
ARCHIVED: Final[dict[type[EventPayload], tuple[TargetKind, str]]] = {
    catalog.KnowledgeArchivedV1: (TargetKind.KNOWLEDGE, "item_id"),
    catalog.PathArchivedV1: (TargetKind.PATH, "path_id"),
}


def event_handlers(half_life_hours: float) -> dict[str, BatchEventHandler]:
    """Event type → handler taking the event and the batch's unit of work."""
    handlers: dict[str, BatchEventHandler] = {}

    def evidence(rule: EvidenceRule) -> BatchEventHandler:
        async def handle(event: ReceivedEvent[Any], core: UnitOfWork) -> None:
            data = event.payload
            if rule.when(data):
                await record_evidence(
                    CommunityUnitOfWork(core, event.tenant_id),
                    rule.person(data),
                    rule.skills(data),
                    rule.counter,
                    rule.key(data),
                )

        return handle

    def published(kind: TargetKind, id_field: str, rule: EvidenceRule | None) -> BatchEventHandler:
        async def handle(event: ReceivedEvent[Any], core: UnitOfWork) -> None:
            data, uow = event.payload, CommunityUnitOfWork(core, event.tenant_id)
            target = CatalogTarget(
                kind,
                getattr(data, id_field),
                data.author_id,
                data.space_id,
                data.title,
                tuple(_skills(data)),
                archived=False,
                published_at=data.published_at,
            )
            await projections.target_published(uow, target)
            if rule is not None:
                await evidence(rule)(event, core)

        return handle

    def archived(kind: TargetKind, id_field: str) -> BatchEventHandler:
        async def handle(event: ReceivedEvent[Any], core: UnitOfWork) -> None:
            await projections.target_archived(
                CommunityUnitOfWork(core, event.tenant_id), kind, getattr(event.payload, id_field)
            )

        return handle

    async def comment_visibility(event: ReceivedEvent[Any], core: UnitOfWork) -> None:
        data = event.payload
        if data.content_type != TargetKind.COMMENT.value:
            return
        uow = CommunityUnitOfWork(core, event.tenant_id)
        comment = await uow.comments.get(data.content_id)
        if comment is None:
            return
        hidden = isinstance(data, community.ContentHiddenV1)
        at = data.hidden_at if hidden else data.restored_at
        change = Engagement(comment.kind.value, comment.target_id, at, comments=-1 if hidden else 1)
        await popularity.apply(uow, change, half_life_hours)

    for model, rule in EVIDENCE_RULES.items():
        if model not in PUBLISHED:
            handlers[typed(model)] = evidence(rule)
    for model, (kind, field) in PUBLISHED.items():
        handlers[typed(model)] = published(kind, field, EVIDENCE_RULES.get(model))
    for model, (kind, field) in ARCHIVED.items():
        handlers[typed(model)] = archived(kind, field)
    handlers[typed(community.ContentHiddenV1)] = comment_visibility
    handlers[typed(community.ContentRestoredV1)] = comment_visibility
    return handlers


def engagement_handlers(half_life_hours: float) -> dict[str, EventSetHandler]:
    """Likes and comments: every event of a run at once, each target written once."""

    def apply_all(rule: Callable[[Any], Engagement]) -> EventSetHandler:
        async def handle(events: Sequence[ReceivedEvent[Any]], core: UnitOfWork) -> None:
            for tenant_id, of_tenant in by_tenant(events):
                await core.set_tenant(tenant_id)
                await popularity.apply_many(
                    CommunityUnitOfWork(core, tenant_id),
                    [rule(event.payload) for event in of_tenant],
                    half_life_hours,
                )

        return handle

    return {typed(model): apply_all(rule) for model, rule in ENGAGEMENT_RULES.items()}
