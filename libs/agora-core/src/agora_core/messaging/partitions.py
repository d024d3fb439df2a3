"""Finding the partitions of a topic from a client that has not subscribed to it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition


async def topic_partitions(
    consumer: AIOKafkaConsumer, topics: Sequence[str], *, attempts: int = 50
) -> list[TopicPartition]:
    """Every partition of ``topics`` (a just-created topic takes a metadata refresh).

    A topic that still has no partitions after ``attempts`` refreshes contributes none.
    """
    partitions: list[TopicPartition] = []
    for topic in topics:
        ids: set[int] | None = None
        for _ in range(attempts):
            ids = consumer.partitions_for_topic(topic)
            if ids:
                break
            await consumer._client.force_metadata_update()
            await asyncio.sleep(0.1)
        partitions.extend(TopicPartition(topic, p) for p in sorted(ids or ()))
    return partitions
