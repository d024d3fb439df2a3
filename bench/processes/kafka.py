"""Kafka as every benchmark uses it: where a topic ends now, sending a batch of events
as fast as one producer pipelines them, and the raw-consumption baseline (plain
aiokafka reading the same records, no group, no decoding) that consumers are compared
with."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Final

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from agora_core.messaging.events import OutgoingEvent
from agora_core.testing.event_tap import end_offsets as partitions_end

RAW_POLL: Final = 5000
"""Records per poll of the raw baseline: its best case (fewer calls per record)."""


async def end_offsets(kafka: str, topic: str) -> dict[TopicPartition, int]:
    """Each partition of ``topic`` and its end offset now (where the next record goes)."""
    return await partitions_end(kafka, [topic])


async def send_all(kafka: str, events: Sequence[OutgoingEvent], topic: str = "") -> float:
    """Seconds to send every event (to its topic, or else to ``topic``), pipelined, then
    have every acknowledgement.

    The producer is the one the services publish with (acks from every replica,
    idempotent, agora_core.messaging.publisher's linger); the topics' metadata is
    fetched before the clock starts, so the figure is the producer's best case."""
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=15_000,
    )
    await producer.start()
    try:
        for name in {topic or e.topic for e in events}:
            await producer.partitions_for(name)
        started = time.perf_counter()
        sent = [
            await producer.send(
                topic or e.topic,
                e.value,
                key=e.key.encode(),
                headers=[(k, v.encode()) for k, v in e.headers.items()],
            )
            for e in events
        ]
        await asyncio.gather(*sent)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def raw_consume(kafka: str, start: dict[TopicPartition, int], count: int) -> float:
    """Seconds for plain aiokafka to read ``count`` records from the offsets ``start``."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(start))
        for partition, offset in start.items():
            consumer.seek(partition, offset)
        started = time.perf_counter()
        seen = 0
        while seen < count:
            batch = await consumer.getmany(timeout_ms=1000, max_records=RAW_POLL)
            seen += sum(len(records) for records in batch.values())
        return time.perf_counter() - started
    finally:
        await consumer.stop()
