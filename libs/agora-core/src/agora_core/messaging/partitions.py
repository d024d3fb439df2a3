"""Finding the partitions of topics from a client that has not subscribed to them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


async def topic_partitions(
    topics: Sequence[str], *, attempts: int = 50, **client: Any
) -> list[TopicPartition]:
    """Every partition of ``topics``, as the brokers' metadata says now.

    ``client`` holds aiokafka client keyword arguments (``bootstrap_servers`` and the
    security options). A just-created topic may take a moment to show its partitions,
    so the question is asked again; a topic that still has none after ``attempts``
    tries contributes none.
    """
    admin = AIOKafkaAdminClient(**client)
    await admin.start()
    try:
        found: dict[str, list[int]] = {}
        wanted = list(dict.fromkeys(topics))
        for _ in range(attempts):
            # Every topic's metadata: naming topics could make a broker that allows
            # it auto-create them, and topics are only ever provisioned.
            for topic in await admin.describe_topics():
                ids = sorted(p["partition"] for p in topic["partitions"] or ())
                if topic["topic"] in wanted and not topic["error_code"] and ids:
                    found[topic["topic"]] = ids
            if len(found) == len(wanted):
                break
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
    return [TopicPartition(topic, p) for topic in wanted for p in found.get(topic, ())]
