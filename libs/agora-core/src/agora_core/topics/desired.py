"""The topics that should exist: every registry topic and its dead-letter topic.

Derived, never listed by hand, so a new event type's topic is provisioned by the same
command that provisions the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from agora_contracts.events import EventRegistry
from agora_contracts.events.schemas import load_platform_events
from agora_core.messaging.consumer import dlq_topic
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
    """Specs of ``topics`` (and of their ``.dlq`` when ``dead_letters``), sorted by name."""
    insync = settings.insync_replicas()

    def spec(name: str, partitions: int, retention_ms: int) -> TopicSpec:
        configs = {"retention.ms": str(retention_ms)}
        if insync is not None:
            configs["min.insync.replicas"] = str(insync)
        return TopicSpec(name, partitions, settings.replication_factor, configs)

    specs: dict[str, TopicSpec] = {}
    for topic in topics:
        specs[topic] = spec(topic, settings.partitions, settings.retention_ms)
        if dead_letters:
            dlq = dlq_topic(topic)
            specs[dlq] = spec(dlq, settings.dlq_partitions, settings.dlq_retention_ms)
    return [specs[name] for name in sorted(specs)]


def desired_topics(registry: EventRegistry, settings: TopicsSettings) -> list[TopicSpec]:
    """Every topic of ``registry`` with its ``.dlq``.

    The platform registry (:func:`platform_registry`) includes
    ``agora.xapi.statements.v1``, the Learning Record Stores' topic.
    """
    return topic_specs(registry.topics(), settings)


def platform_registry() -> EventRegistry:
    """The registry of every event type of the platform (all domains imported)."""
    return load_platform_events()
