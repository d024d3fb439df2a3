"""The learning events the webhook tests deliver (one learner, one video item)."""

from __future__ import annotations

from agora_contracts.events.domains import learning

from .support import Stack

COMPLETED = "org.agora.learning.knowledge.completed.v1"
STARTED = "org.agora.learning.knowledge.started.v1"


def completed(stack: Stack, learner: str, item: str) -> learning.KnowledgeCompletedV1:
    return learning.KnowledgeCompletedV1(
        learner_id=learner,
        item_id=item,
        item_type="video",
        item_title="Intro",
        completed_at=stack.clock.now(),
    )


def started(stack: Stack, learner: str, item: str) -> learning.KnowledgeStartedV1:
    return learning.KnowledgeStartedV1(
        learner_id=learner,
        item_id=item,
        item_type="video",
        item_title="Intro",
        started_at=stack.clock.now(),
    )
