"""Who publishes and who consumes each topic (ARCHITECTURE §1 and the service READMEs).

The AsyncAPI document's operations come from here. A test in ``tests/integrator_docs``
compares the consumed topics with each service's own subscription code, so this table
cannot silently drift from what runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from agora_contracts.events.registry import EventRegistry


@dataclass(frozen=True)
class ServiceTopology:
    """One service's place in the event flow."""

    name: str
    summary: str
    publishes_domains: tuple[str, ...]
    """Topic domains (``agora.<domain>.…``) whose events this service produces."""
    consumes: tuple[str, ...] | None
    """Topics its consumer group subscribes to; ``None`` means every platform topic."""

    @property
    def source(self) -> str:
        """The CloudEvents ``source`` of what it publishes."""
        return f"/agora/{self.name}"

    @property
    def consumer_group(self) -> str:
        """Its default Kafka consumer group (``AGORA_<SERVICE>_CONSUMER_GROUP`` overrides)."""
        return f"agora-{self.name}"

    def published_topics(self, registry: EventRegistry) -> list[str]:
        return [t for t in registry.topics() if t.split(".")[1] in self.publishes_domains]

    def consumed_topics(self, registry: EventRegistry) -> list[str]:
        return registry.topics() if self.consumes is None else sorted(self.consumes)


SERVICES: Final[tuple[ServiceTopology, ...]] = (
    ServiceTopology(
        name="catalog",
        summary=(
            "Knowledge items, themes, skills, paths, enrolments, assignments, progress and "
            "quizzes; the contribution and expert-review workflow."
        ),
        publishes_domains=("catalog", "learning"),
        consumes=(
            "agora.community.likes.v1",
            "agora.community.comments.v1",
            "agora.learning.completions.v1",
            "agora.learning.quizzes.v1",
            "agora.privacy.erasures.v1",
        ),
    ),
    ServiceTopology(
        name="community",
        summary=(
            "Spaces, comments, likes, questions to experts, moderation, popularity, the "
            "expert directory, and the right-to-erasure entry point."
        ),
        publishes_domains=("community", "privacy"),
        consumes=(
            "agora.catalog.knowledge.v1",
            "agora.catalog.paths.v1",
            "agora.catalog.submissions.v1",
            "agora.learning.completions.v1",
            "agora.learning.quizzes.v1",
            "agora.community.likes.v1",
            "agora.community.comments.v1",
            "agora.community.moderation.v1",
            "agora.community.questions.v1",
            "agora.privacy.erasures.v1",
        ),
    ),
    ServiceTopology(
        name="gamification",
        summary="Points, levels, streaks, badges (Open Badges 3.0), challenges, leaderboards.",
        publishes_domains=("gamification",),
        consumes=(
            "agora.catalog.knowledge.v1",
            "agora.catalog.submissions.v1",
            "agora.community.comments.v1",
            "agora.community.likes.v1",
            "agora.community.questions.v1",
            "agora.community.spaces.v1",
            "agora.learning.completions.v1",
            "agora.learning.quizzes.v1",
            "agora.privacy.erasures.v1",
        ),
    ),
    ServiceTopology(
        name="notifications",
        summary=(
            "Inbox, email, reminders and webhooks for every platform event; the xAPI "
            "statement projection for Learning Record Stores."
        ),
        publishes_domains=("notifications", "xapi"),
        consumes=None,
    ),
)


def producer_of(topic: str) -> ServiceTopology:
    """The service that publishes ``topic`` (each topic has exactly one producer)."""
    domain = topic.split(".")[1]
    producers = [s for s in SERVICES if domain in s.publishes_domains]
    if len(producers) != 1:
        raise LookupError(
            f"topic {topic!r}: {len(producers)} producer(s) declared for domain {domain!r} "
            "in agora_contracts.events.topology.SERVICES"
        )
    return producers[0]
