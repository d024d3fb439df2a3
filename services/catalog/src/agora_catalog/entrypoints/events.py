"""Thin event handlers on the batch unit of work: community popularity (set handlers,
one write per target per batch), and our own learning events.

Own events consumed (see README): ``knowledge.completed`` advances path enrolments,
``quiz.passed`` completes the quiz item if the grading call did not get to it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Final

from agora_catalog.service_layer.events import EventFactory
from agora_catalog.service_layer.paths import advance_paths
from agora_catalog.service_layer.popularity import Change, apply_changes
from agora_catalog.service_layer.ports import UnitOfWork as CatalogUnitOfWork
from agora_catalog.service_layer.progress import complete_passed_quiz
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
from agora_core.messaging.batch_consumer import BatchEventHandler, EventSetHandler, by_tenant
from agora_core.messaging.events import ReceivedEvent
from agora_core.postgres.unit_of_work import UnitOfWork

TOPICS: Final = (LIKES_TOPIC, COMMENTS_TOPIC, COMPLETIONS_TOPIC, QUIZZES_TOPIC)

Bind = Callable[[UnitOfWork, str], Awaitable[CatalogUnitOfWork]]
"""The catalog's repositories of a tenant on the batch's unit of work (bootstrap's)."""


def _counter(bind: Bind, likes: int, comments: int) -> EventSetHandler:
    """A set handler adding ``likes``/``comments`` per event to its target's counters."""

    async def handle(events: Sequence[ReceivedEvent[Any]], core: UnitOfWork) -> None:
        for tenant, mine in by_tenant(events):
            changes: list[Change] = [
                (e.payload.target_type, e.payload.target_id, likes, comments) for e in mine
            ]
            await apply_changes(await bind(core, tenant), changes)

    return handle


def set_handlers(events: EventFactory, bind: Bind) -> Mapping[str, EventSetHandler]:
    """Event type → set handler (likes and comments; our own completions)."""

    async def knowledge_completed(batch: Sequence[ReceivedEvent[Any]], core: UnitOfWork) -> None:
        for tenant, mine in by_tenant(batch):
            completions = [
                (e.payload.learner_id, e.payload.item_id, e.payload.completed_at) for e in mine
            ]
            await advance_paths(await bind(core, tenant), events, completions)

    return {
        REGISTRY.spec_for(KnowledgeCompletedV1).event_type: knowledge_completed,
        REGISTRY.spec_for(LikeAddedV1).event_type: _counter(bind, 1, 0),
        REGISTRY.spec_for(LikeRemovedV1).event_type: _counter(bind, -1, 0),
        REGISTRY.spec_for(CommentPostedV1).event_type: _counter(bind, 0, 1),
    }


def handlers(events: EventFactory, bind: Bind) -> Mapping[str, BatchEventHandler]:
    """Event type → handler of one event (quiz.passed)."""

    async def quiz_passed(event: ReceivedEvent[Any], core: UnitOfWork) -> None:
        passed: QuizPassedV1 = event.payload
        uow = await bind(core, event.tenant_id)
        await complete_passed_quiz(uow, events, passed.learner_id, passed.item_id)

    return {
        REGISTRY.spec_for(QuizPassedV1).event_type: quiz_passed,
    }
