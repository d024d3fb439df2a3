"""A small event world per test: its own registry, topic, group and database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from faststream.kafka import KafkaBroker
from pydantic import Field
from pymongo.asynchronous.database import AsyncDatabase

from agora_contracts.events import EventPayload, EventRegistry, EventSpec
from agora_core.messaging.consumer import EventConsumer, EventHandler, RetryPolicy
from agora_core.messaging.events import OutgoingEvent, ReceivedEvent
from agora_core.messaging.idempotency import ProcessedEvents
from agora_core.messaging.publisher import EventPublisher, create_broker
from agora_core.storage import Document


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


async def bump_counter(database: AsyncDatabase[Document], event: ReceivedEvent[Any]) -> None:
    """An idempotent effect: the counter remembers the ids it applied.

    The conditional filter makes a second application of the same event a no-op even
    if the processed-id record was never written (crash before commit).
    """
    payload: CounterBumped = event.payload
    await database["counters"].update_one(
        {"_id": payload.counter_id, "applied": {"$ne": event.event_id}},
        {"$inc": {"value": payload.amount}, "$push": {"applied": event.event_id}},
        upsert=False,
    )


async def ensure_counter(database: AsyncDatabase[Document], counter_id: str) -> None:
    await database["counters"].update_one(
        {"_id": counter_id},
        {"$setOnInsert": {"value": 0, "applied": []}},
        upsert=True,
    )


async def counter_value(database: AsyncDatabase[Document], counter_id: str) -> int:
    document = await database["counters"].find_one({"_id": counter_id})
    return int(document["value"]) if document else 0


@dataclass
class RunningConsumer:
    broker: KafkaBroker
    consumer: EventConsumer
    publisher: EventPublisher

    async def stop(self) -> None:
        await self.consumer.drain()
        await self.broker.stop()


async def start_consumer(
    world: EventWorld,
    kafka: str,
    database: AsyncDatabase[Document],
    handlers: Mapping[str, EventHandler],
    *,
    max_attempts: int = 3,
    client_id: str | None = None,
) -> RunningConsumer:
    broker = create_broker(kafka, client_id=client_id or f"test-{world.unique}")
    publisher = EventPublisher(broker, service="tests")
    processed = ProcessedEvents(database, world.group)
    await processed.create_indexes()
    consumer = EventConsumer(
        broker,
        service="tests",
        group_id=world.group,
        topics=[world.topic],
        handlers=handlers,
        registry=world.registry,
        processed=processed,
        publisher=publisher,
        retry=RetryPolicy(max_attempts=max_attempts, backoff_ms=20, backoff_max_ms=100),
    )
    await broker.start()
    await consumer.wait_for_assignment()
    return RunningConsumer(broker, consumer, publisher)


async def start_publisher(kafka: str, unique: str) -> tuple[KafkaBroker, EventPublisher]:
    """A broker that only publishes (joins no consumer group)."""
    broker = create_broker(kafka, client_id=f"test-publisher-{unique}")
    await broker.start()
    return broker, EventPublisher(broker, service="tests")
