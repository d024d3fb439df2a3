"""A small event world per test: its own registry, topic and group (the database side,
a counters table on PostgreSQL and a batch consumer over it, is
``core_postgres.world``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import REGISTRY
from pydantic import Field

from agora_contracts.events import EventPayload, EventRegistry, EventSpec
from agora_core.messaging.events import OutgoingEvent
from agora_core.messaging.kafka_connection import KafkaConnection, create_broker
from agora_core.messaging.publisher import EventPublisher


class CounterBumped(EventPayload):
    """A counter was bumped (test fact)."""

    counter_id: str = Field(description="Counter bumped.", examples=["c-1"])
    amount: int = Field(description="By how much.", examples=[1], ge=1, le=1000)


@dataclass
class EventWorld:
    """Names and objects one test's events live in."""

    unique: str
    registry: EventRegistry = field(default_factory=EventRegistry)

    def __post_init__(self) -> None:
        self.topic = f"agora.{self.unique}.counters.v1"
        self.event_type = f"org.agora.{self.unique}.counter.bumped.v1"
        self.group = f"group-{self.unique}"
        self.registry.register(
            EventSpec(self.event_type, self.topic, CounterBumped, "counter_id", "bumped")
        )

    def event(self, counter_id: str, amount: int = 1, tenant: str = "acme") -> OutgoingEvent:
        return OutgoingEvent.create(
            CounterBumped(counter_id=counter_id, amount=amount),
            source="/agora/tests",
            subject=counter_id,
            tenant_id=tenant,
            actor_id="user-1",
            traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            registry=self.registry,
        )


async def start_publisher(kafka: str, unique: str) -> tuple[KafkaConnection, EventPublisher]:
    """A broker that only publishes (joins no consumer group)."""
    broker = create_broker(kafka, client_id=f"test-publisher-{unique}")
    await broker.start()
    return broker, EventPublisher(broker, service="tests")


def sample(name: str, **labels: str) -> float:
    """A metric's current value as Prometheus would scrape it (0 before any count)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


CONSUMED = "agora_events_consumed_total"
"""The consumers' outcome counter (agora_core.messaging.metrics.EVENTS_CONSUMED)."""
