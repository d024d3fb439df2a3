"""Benchmark of agora-core's messaging against raw baselines measured in the same run.

    python bench/core_messaging.py [--events N] [--kafka HOST:PORT] [--mongo URI]

Measures, on the same Kafka broker and FerretDB:
- raw pipelined aiokafka produce of N events (baseline for the relay);
- raw insert_many of N documents (database baseline);
- the outbox relay moving N events from documents to Kafka (events/s, ratio to raw produce);
- raw aiokafka consumption of the N events (baseline for the consumer);
- the consumer pipeline (envelope, validation, processed-id check, handler, mark,
  explicit commit) handling the N events (events/s, ratio to raw consume).

Prints a table and writes ``bench/reports/core_messaging.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from pydantic import Field
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from agora_contracts.events import EventPayload, EventRegistry, EventSpec
from agora_core.messaging.consumer import EventConsumer, RetryPolicy
from agora_core.messaging.events import OutgoingEvent, ReceivedEvent
from agora_core.messaging.idempotency import ProcessedEvents
from agora_core.messaging.publisher import EventPublisher, create_broker
from agora_core.outbox import OUTBOX_FIELD, OutboxRelay, outbox_index
from agora_core.storage import create_mongo_client, ensure_indexes

REPORT = Path(__file__).resolve().parent / "reports" / "core_messaging.json"
console = Console()


class ItemProgressed(EventPayload):
    """A learner's progress on an item (benchmark payload of realistic size)."""

    item_id: str = Field(description="Item.", examples=["item-1"])
    learner_id: str = Field(description="Learner.", examples=["user-1"])
    percent: int = Field(description="Progress.", examples=[40], ge=0, le=100)
    position: str = Field(description="Last position.", examples=["chapter-3/page-2"])


def _events(registry: EventRegistry, count: int) -> list[OutgoingEvent]:
    return [
        OutgoingEvent.create(
            ItemProgressed(
                item_id=f"item-{i % 997}",
                learner_id=f"user-{i % 10_000}",
                percent=i % 101,
                position=f"chapter-{i % 12}/page-{i % 40}",
            ),
            source="/agora/bench",
            subject=f"user-{i % 10_000}",
            tenant_id="bench",
            actor_id=f"user-{i % 10_000}",
            registry=registry,
        )
        for i in range(count)
    ]


async def _timed(label: str, count: int, work: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await work()
    elapsed = time.perf_counter() - started
    console.log(f"{label}: {count} in {elapsed:.2f} s")
    return count / elapsed


async def raw_produce(kafka: str, topic: str, events: list[OutgoingEvent]) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka, acks="all", enable_idempotence=True, linger_ms=5
    )
    await producer.start()

    async def send_all() -> None:
        futures = [
            await producer.send(
                topic,
                e.value,
                key=e.key.encode(),
                headers=[(k, v.encode()) for k, v in e.headers.items()],
            )
            for e in events
        ]
        await asyncio.gather(*futures)

    try:
        return await _timed("raw aiokafka produce", len(events), send_all)
    finally:
        await producer.stop()


async def raw_consume(kafka: str, topic: str, count: int) -> float:
    # No group: the consumer reads every partition from the start, no join to wait for.
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()

    async def read_all() -> None:
        seen = 0
        while seen < count:
            batch = await consumer.getmany(timeout_ms=1000)
            seen += sum(len(records) for records in batch.values())

    try:
        return await _timed("raw aiokafka consume", count, read_all)
    finally:
        await consumer.stop()


async def run(events_count: int, kafka: str, mongo_uri: str) -> dict[str, float]:
    unique = f"b{uuid.uuid4().hex[:8]}"
    registry = EventRegistry()
    topic = f"agora.{unique}.progress.v1"
    event_type = f"org.agora.{unique}.item.progressed.v1"
    registry.register(EventSpec(event_type, topic, ItemProgressed, "learner_id", "progress"))
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    raw_topic = f"agora.{unique}.raw.v1"
    await admin.create_topics(
        [NewTopic(t, num_partitions=3, replication_factor=1) for t in (topic, raw_topic)]
    )
    await admin.close()

    client = create_mongo_client(mongo_uri)
    database = client[f"bench_{unique}"]
    results: dict[str, float] = {}
    events = _events(registry, events_count)
    try:
        results["raw_produce_per_s"] = await raw_produce(kafka, raw_topic, events)

        documents = [
            {"_id": f"doc-{i}", "tenant_id": "bench", OUTBOX_FIELD: [e.to_document()]}
            for i, e in enumerate(events)
        ]
        collection = database["aggregates"]
        await ensure_indexes(collection, [outbox_index()])
        results["raw_insert_per_s"] = await _timed(
            "raw insert_many", len(documents), lambda: collection.insert_many(documents)
        )

        broker = create_broker(kafka, client_id=f"bench-{unique}")
        await broker.start()
        publisher = EventPublisher(broker, service="bench")
        relay = OutboxRelay([collection], publisher, service="bench", batch_size=500)
        results["relay_per_s"] = await _timed("outbox relay", events_count, relay.flush)
        await broker.stop()

        results["raw_consume_per_s"] = await raw_consume(kafka, topic, events_count)

        handled = 0
        done = asyncio.Event()

        async def handler(_event: ReceivedEvent[Any]) -> None:
            nonlocal handled
            handled += 1
            progress.update(task, completed=handled)
            if handled >= events_count:
                done.set()

        consumer_broker = create_broker(kafka, client_id=f"bench-consumer-{unique}")
        processed = ProcessedEvents(database, f"bench-{unique}")
        await processed.create_indexes()
        consumer = EventConsumer(
            consumer_broker,
            service="bench",
            group_id=f"bench-{unique}",
            topics=[topic],
            handlers={event_type: handler},
            registry=registry,
            processed=processed,
            publisher=EventPublisher(consumer_broker, service="bench"),
            retry=RetryPolicy(),
        )
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("consumer pipeline", total=events_count)
            await consumer_broker.start()
            await consumer.wait_for_assignment()
            results["pipeline_consume_per_s"] = await _timed(
                "consumer pipeline", events_count, done.wait
            )
        await consumer.drain()
        await consumer_broker.stop()
    finally:
        await client.drop_database(database.name)
        await client.close()
    results["relay_vs_raw_produce"] = results["relay_per_s"] / results["raw_produce_per_s"]
    results["pipeline_vs_raw_consume"] = (
        results["pipeline_consume_per_s"] / results["raw_consume_per_s"]
    )
    return results


def report(results: dict[str, float], events_count: int) -> None:
    table = Table(title=f"agora-core messaging, {events_count} events")
    table.add_column("measure")
    table.add_column("events/s", justify="right")
    table.add_column("baseline", justify="right")
    table.add_column("ratio", justify="right")
    table.add_row("raw aiokafka produce", f"{results['raw_produce_per_s']:,.0f}", "", "")
    table.add_row("raw insert_many (FerretDB)", f"{results['raw_insert_per_s']:,.0f}", "", "")
    table.add_row(
        "outbox relay → Kafka",
        f"{results['relay_per_s']:,.0f}",
        "raw produce",
        f"{results['relay_vs_raw_produce']:.2f}x",
    )
    table.add_row("raw aiokafka consume", f"{results['raw_consume_per_s']:,.0f}", "", "")
    table.add_row(
        "consumer pipeline",
        f"{results['pipeline_consume_per_s']:,.0f}",
        "raw consume",
        f"{results['pipeline_vs_raw_consume']:.2f}x",
    )
    console.print(table)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps({"events": events_count, **results}, indent=2) + "\n")
    console.print(f"report: {REPORT}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--kafka", default=os.environ.get("AGORA_TEST_KAFKA", "127.0.0.1:29092"))
    parser.add_argument(
        "--mongo", default=os.environ.get("AGORA_TEST_MONGO_URI", "mongodb://127.0.0.1:27028/")
    )
    args = parser.parse_args()
    report(asyncio.run(run(args.events, args.kafka, args.mongo)), args.events)


if __name__ == "__main__":
    main()
