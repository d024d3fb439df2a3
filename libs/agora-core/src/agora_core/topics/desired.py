"""The topics that should exist: every registry topic and its dead-letter topic.

Derived, never listed by hand, so a new event type's topic is provisioned by the same
command that provisions the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from agora_contracts.events import EventRegistry
from agora_contracts.events.schemas import load_platform_events
from agora_core.messaging.dead_letters import DLQ_SUFFIX, dlq_topic
from agora_core.topics.settings import TopicsSettings


@dataclass(frozen=True)
class TopicSpec:
    """One topic as it should be: partitions, replication and topic-level configs."""

    name: str
    partitions: int
    replication_factor: int
    configs: Mapping[str, str] = field(default_factory=dict)


def topic_specs(
    topics: Iterable[str], settings: TopicsSettings, *, dead_letters: bool = True
) -> list[TopicSpec]:
    """Specs of ``topics`` (and of their ``.dlq`` when ``dead_letters``), sorted by name.

    A name that already ends in ``.dlq`` is a dead-letter topic: it gets the dead-letter
    partitions and retention, and no ``.dlq`` of its own.
    """
    insync = settings.insync_replicas()

    def spec(name: str) -> TopicSpec:
        dead_letter = name.endswith(DLQ_SUFFIX)
        retention_ms = settings.dlq_retention_ms if dead_letter else settings.retention_ms
        configs = {"retention.ms": str(retention_ms)}
        if insync is not None:
            configs["min.insync.replicas"] = str(insync)
        partitions = settings.dlq_partitions if dead_letter else settings.partitions
        return TopicSpec(name, partitions, settings.replication_factor, configs)

    names = set(topics)
    if dead_letters:
        names |= {dlq_topic(name) for name in names if not name.endswith(DLQ_SUFFIX)}
    return [spec(name) for name in sorted(names)]


def desired_topics(registry: EventRegistry, settings: TopicsSettings) -> list[TopicSpec]:
    """Every topic of ``registry`` with its ``.dlq``.

    The platform registry (:func:`platform_registry`) includes
    ``agora.xapi.statements.v1``, the Learning Record Stores' topic.
    """
    return topic_specs(registry.topics(), settings)


def platform_registry() -> EventRegistry:
    """The registry of every event type of the platform (all domains imported)."""
    return load_platform_events()
