"""plan and apply on the real broker: drift is reported exactly, apply fixes what it
may (missing topics, too few partitions, configs), keeps what it must not change, and
a second apply changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from agora_core.testing import eventually
from agora_core.testing.event_tap import ensure_topics, plaintext_kafka
from agora_core.topics import (
    ApplyFailed,
    ChangeKind,
    TopicSpec,
    TopicsSettings,
    admin_client,
    apply_plan,
    plan_topics,
    read_topics,
    topic_specs,
)

pytestmark = pytest.mark.integration

SETTINGS_DEFAULT_DLQ_RETENTION = 30 * 24 * 3_600_000
SETTINGS = TopicsSettings(
    partitions=6,
    dlq_partitions=2,
    replication_factor=1,
    retention_ms=3_600_000,
    dlq_retention_ms=7_200_000,
)


@pytest.fixture
async def admin(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    client = admin_client(plaintext_kafka(kafka_bootstrap))
    await client.start()
    yield client
    await client.close()


async def _create_directly(admin: AIOKafkaAdminClient, topic: NewTopic) -> None:
    """Create ``topic`` bypassing apply, and wait until the metadata shows it."""
    await admin.create_topics([topic])

    async def visible() -> bool:
        state = await read_topics(admin, [topic.name])
        return topic.name in state and state[topic.name].partitions == topic.num_partitions

    await eventually(visible)


async def _plan(
    admin: AIOKafkaAdminClient, desired: list[TopicSpec]
) -> list[tuple[str, ChangeKind]]:
    actual = await read_topics(admin, [spec.name for spec in desired])
    return [(c.spec.name, c.kind) for c in plan_topics(desired, actual).changes]


async def test_a_one_partition_topic_is_reported_and_raised_and_apply_twice_is_a_no_op(
    admin: AIOKafkaAdminClient, unique: str
) -> None:
    topic = f"agora.d{unique}.drift.v1"
    dlq = f"{topic}.dlq"
    # What auto-creation used to leave: one partition, the broker's default retention.
    await _create_directly(admin, NewTopic(topic, num_partitions=1, replication_factor=1))
    desired = topic_specs([topic], SETTINGS)
    assert [spec.name for spec in desired] == [topic, dlq]

    actual = await read_topics(admin, [topic, dlq])
    plan = plan_topics(desired, actual)
    assert [(c.spec.name, c.kind, c.current, c.desired) for c in plan.changes] == [
        (topic, ChangeKind.RAISE_PARTITIONS, "1 partitions", "6 partitions"),
        (topic, ChangeKind.ALTER_CONFIGS, "retention.ms=86400000", "retention.ms=3600000"),
        (
            dlq,
            ChangeKind.CREATE,
            "missing",
            "2 partitions, replication 1, retention.ms=7200000",
        ),
    ]

    lines: list[str] = []
    after = await apply_plan(admin, plan, progress=lines.append)
    assert after.changes == []
    assert lines == [
        f"created {dlq}",
        f"raised {topic}: 1 partitions -> 6 partitions (keys move to new partitions)",
        f"altered {topic}: retention.ms=86400000 -> retention.ms=3600000",
    ]
    state = await read_topics(admin, [topic, dlq])
    assert (state[topic].partitions, state[topic].replication_factor) == (6, 1)
    assert state[topic].overrides == {"retention.ms": "3600000"}
    assert (state[dlq].partitions, state[dlq].replication_factor) == (2, 1)
    assert state[dlq].overrides == {"retention.ms": "7200000"}

    again: list[str] = []
    second = await apply_plan(admin, plan_topics(desired, state), progress=again.append)
    assert (second.changes, again) == ([], [])


async def test_apply_never_lowers_partitions_and_keeps_other_overrides(
    admin: AIOKafkaAdminClient, unique: str
) -> None:
    topic = f"agora.k{unique}.kept.v1"
    await _create_directly(
        admin,
        NewTopic(
            topic,
            num_partitions=8,
            replication_factor=1,
            topic_configs={"retention.ms": "1000", "max.message.bytes": "2000000"},
        ),
    )
    desired = topic_specs([topic], SETTINGS, dead_letters=False)
    assert await _plan(admin, desired) == [
        (topic, ChangeKind.MORE_PARTITIONS),
        (topic, ChangeKind.ALTER_CONFIGS),
    ]

    lines: list[str] = []
    plan = plan_topics(desired, await read_topics(admin, [topic]))
    after = await apply_plan(admin, plan, progress=lines.append)
    assert lines == [
        f"altered {topic}: retention.ms=1000 -> retention.ms=3600000",
        f"kept {topic}: 8 partitions, configured 6 partitions (never lowered)",
    ]
    assert [(c.spec.name, c.kind) for c in after.changes] == [(topic, ChangeKind.MORE_PARTITIONS)]
    state = (await read_topics(admin, [topic]))[topic]
    assert state.partitions == 8
    # AlterConfigs replaces a topic's whole set: an operator's own override survives.
    assert state.overrides == {"retention.ms": "3600000", "max.message.bytes": "2000000"}


async def test_replicas_above_the_brokers_fail_with_the_brokers_reason(
    admin: AIOKafkaAdminClient, unique: str
) -> None:
    topic = f"agora.f{unique}.refused.v1"
    settings = TopicsSettings(partitions=1, replication_factor=3, min_insync_replicas=2)
    desired = topic_specs([topic], settings, dead_letters=False)
    assert desired == [
        TopicSpec(
            topic, 1, 3, {"retention.ms": str(settings.retention_ms), "min.insync.replicas": "2"}
        )
    ]
    plan = plan_topics(desired, await read_topics(admin, [topic]))
    with pytest.raises(ApplyFailed, match=rf"create {topic}: .*replication factor"):
        await apply_plan(admin, plan)
    assert await read_topics(admin, [topic]) == {}


async def test_tests_own_topics_are_only_created_never_reshaped(
    admin: AIOKafkaAdminClient, kafka_bootstrap: str, unique: str
) -> None:
    topic = f"agora.c{unique}.shared.v1"
    await _create_directly(
        admin,
        NewTopic(
            topic, num_partitions=1, replication_factor=1, topic_configs={"retention.ms": "1000"}
        ),
    )
    # A runtime's required topics name its .dlq too: it gets the dead-letter shape and
    # no .dlq of its own.
    await ensure_topics(kafka_bootstrap, [topic, f"{topic}.dlq"], partitions=4)
    state = await read_topics(admin, [topic, f"{topic}.dlq", f"{topic}.dlq.dlq"])
    assert sorted(state) == [topic, f"{topic}.dlq"]
    assert (state[topic].partitions, state[topic].overrides) == (1, {"retention.ms": "1000"})
    assert state[f"{topic}.dlq"].partitions == 1
    assert state[f"{topic}.dlq"].overrides == {"retention.ms": str(SETTINGS_DEFAULT_DLQ_RETENTION)}


@pytest.mark.unit
def test_a_dead_letter_name_gets_the_dead_letter_shape() -> None:
    specs = topic_specs(["agora.x.y.v1.dlq", "agora.x.y.v1"], SETTINGS)
    assert specs == [
        TopicSpec("agora.x.y.v1", 6, 1, {"retention.ms": "3600000"}),
        TopicSpec("agora.x.y.v1.dlq", 2, 1, {"retention.ms": "7200000"}),
    ]
