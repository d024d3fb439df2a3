"""The reason topics are provisioned: replicas of one service share its partitions.

Three instances of a service (one consumer group) on its provisioned 6-partition topic
each own partitions, none twice, all six covered. With the broker's one auto-created
partition, two of the three would have sat idle.
"""

from __future__ import annotations

import contextlib

import pytest
from aiokafka import TopicPartition
from core_runtime.notes_service import NotesSettings, build

from agora_core.runtime import ServiceRuntime
from agora_core.testing import eventually
from agora_core.testing.event_tap import ensure_topics
from agora_core.testing.service_harness import running_service, test_settings

pytestmark = pytest.mark.integration


async def test_three_replicas_of_one_group_each_own_partitions_of_a_provisioned_topic(
    kafka_bootstrap: str, postgres_dsn: str, unique: str
) -> None:
    topic = f"agora.g{unique}.notes.v1"
    await ensure_topics(kafka_bootstrap, [topic], partitions=6)
    settings = test_settings(
        NotesSettings,
        kafka=kafka_bootstrap,
        postgres_dsn=postgres_dsn,
        topic_domain=f"g{unique}",
        consumer_group=f"notes-{unique}",
    )
    async with contextlib.AsyncExitStack() as stack:
        replicas: list[ServiceRuntime] = [
            await stack.enter_async_context(running_service(build, settings)) for _ in range(3)
        ]

        def owned() -> list[set[TopicPartition]]:
            return [replica.consumers[0].assignment for replica in replicas]

        async def spread() -> bool:
            # Settled once the group's last rebalance gave everyone a share of all six.
            shares = owned()
            every = set().union(*shares)
            return all(shares) and len(every) == 6 and sum(map(len, shares)) == 6

        await eventually(spread, timeout=90)
        shares = owned()
        assert sorted(len(share) for share in shares) == [2, 2, 2]
        assert set().union(*shares) == {TopicPartition(topic, p) for p in range(6)}
