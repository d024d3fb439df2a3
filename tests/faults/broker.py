"""What the scenarios ask of the broker: consumer lag, poison records, DLQ contents."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from agora_core.messaging.dead_letters import DLQ_HEADER_PREFIX, dlq_topic
from agora_core.testing import eventually
from agora_core.testing.event_tap import end_offsets as partitions_end
from agora_core.testing.event_tap import ensure_topics

POISON_MARK = "x-faults-poison"
"""Header naming each poison record, so its DLQ copy can be recognised."""


async def end_offsets(bootstrap: str, topics: Sequence[str]) -> dict[TopicPartition, int]:
    """The next offset of every partition of ``topics`` (created first if missing)."""
    await ensure_topics(bootstrap, topics)
    return await partitions_end(bootstrap, topics)


@dataclass(frozen=True)
class PoisonRecord:
    """A record no consumer can handle, as it would arrive from a buggy or hostile
    producer; ``name`` travels in a header."""

    name: str
    topic: str
    value: bytes
    headers: Mapping[str, str]


@contextlib.asynccontextmanager
async def raw_producer(bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    """A producer that bypasses the platform's publisher (no envelope, no checks), as
    a buggy or hostile producer elsewhere would."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="agora-faults-poison",
        enable_idempotence=True,
        # Compressed and with a larger request limit, so a value beyond the consumers'
        # 1 MiB payload limit still reaches the broker (as a compressing producer's would).
        compression_type="gzip",
        max_request_size=4 * 1024 * 1024,
    )
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def publish_poison(producer: AIOKafkaProducer, poison: PoisonRecord) -> None:
    headers = [(k, v.encode()) for k, v in poison.headers.items()]
    headers.append((POISON_MARK, poison.name.encode()))
    await producer.send_and_wait(poison.topic, value=poison.value, key=b"poison", headers=headers)


async def dead_letters(
    bootstrap: str,
    since: Mapping[TopicPartition, int],
    names: set[str],
    group: str,
    timeout: float = 240.0,
) -> dict[str, dict[str, str]]:
    """The headers of the DLQ record ``group`` made of each poison in ``names``, read
    from ``since`` (end offsets of the DLQ topics taken before the poisons were
    published). Other groups reading the same topics on the shared broker dead-letter
    the same poisons; their copies are not this consumer's."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    found: dict[str, dict[str, str]] = {}
    try:
        consumer.assign(list(since))
        for tp, offset in since.items():
            consumer.seek(tp, offset)

        async def all_found() -> bool:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    headers = {k: v.decode("utf-8", "replace") for k, v in record.headers or ()}
                    name = headers.get(POISON_MARK)
                    if name is not None and headers.get("agora-dlq-group") == group:
                        found[name] = {**headers, "topic": record.topic}
            return names <= set(found)

        await eventually(all_found, timeout=timeout, interval=0)
    finally:
        await consumer.stop()
    return found


def dlq_topics(topics: Sequence[str]) -> list[str]:
    return [dlq_topic(t) for t in topics]


DLQ_REASON = f"{DLQ_HEADER_PREFIX}reason"


async def records_between(
    bootstrap: str, since: Mapping[TopicPartition, int], until: Mapping[TopicPartition, int]
) -> list[tuple[dict[str, str], bytes]]:
    """The (headers, value) of every record from ``since`` (default: the start) up to
    ``until`` (end offsets taken earlier), partition by partition."""
    ranges = {tp: (since.get(tp, 0), end) for tp, end in until.items()}
    left = {tp for tp, (start, end) in ranges.items() if end > start}
    if not left:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    found: list[tuple[dict[str, str], bytes]] = []
    try:
        consumer.assign(list(left))
        for tp in left:
            consumer.seek(tp, ranges[tp][0])

        async def all_read() -> bool:
            batch = await consumer.getmany(timeout_ms=500)
            for tp, records in batch.items():
                for record in records:
                    if record.offset >= ranges[tp][1]:
                        break
                    headers = {k: v.decode("utf-8", "replace") for k, v in record.headers or ()}
                    found.append((headers, record.value or b""))
            # The position, not the last record: offsets may have gaps.
            for tp in list(left):
                if await consumer.position(tp) >= ranges[tp][1]:
                    left.discard(tp)
            return not left

        await eventually(all_read, timeout=120.0, interval=0)
    finally:
        await consumer.stop()
    return found
