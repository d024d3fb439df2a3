"""Rewind for operators: re-read a topic from a time (see :mod:`agora_core.messaging.replay`
for why re-reading never doubles an effect).

The offsets for a timestamp
(``offsets_for_times``) are sought and committed by the running service's own group
member, on the partitions it owns. Kafka refuses offset commits for a group with
live members from anyone else, so doing it inside the member is what works without
stopping the service; the other way (committing while the group is empty) needs
every replica stopped first. The constraint: a replica moves only its own
partitions, and the result names those it does not own (call each replica, or scale
to one first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from agora_core.messaging.group_member import GroupMember
from agora_core.messaging.partitions import topic_partitions
from agora_core.messaging.replay import epoch_ms

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class PartitionRewind:
    """One partition moved by a rewind."""

    partition: int
    offset: int
    """Where the group now reads from."""
    previous_offset: int
    """Where this member was reading before."""


@dataclass(frozen=True)
class ConsumerRewind:
    """What a rewind moved, and the partitions other members own."""

    group_id: str
    topic: str
    at: datetime
    partitions: tuple[PartitionRewind, ...] = ()
    not_assigned: tuple[int, ...] = field(default=())


async def rewind_consumer(
    consumers: Sequence[GroupMember], topic: str, at: datetime
) -> ConsumerRewind:
    """Seek the members of this process subscribed to ``topic`` to the first offset
    whose record timestamp is at or after ``at`` (the end where none is), and commit it.

    Raises ValueError when no consumer here subscribes to ``topic`` or when it has not
    joined its group yet.
    """
    subscribed = [c for c in consumers if topic in c.topics]
    if not subscribed:
        raise ValueError(f"no consumer of this service subscribes to {topic}")
    moved: list[PartitionRewind] = []
    owned: set[int] = set()
    all_partitions: set[int] = set()
    for member in subscribed:
        kafka = member.kafka_consumer
        if kafka is None:
            raise ValueError(f"the consumer of {topic} has not joined its group yet")
        # A subscribed member's metadata always covers its topics.
        all_partitions |= set(kafka.partitions_for_topic(topic) or ())
        mine = sorted(
            (tp for tp in kafka.assignment() if tp.topic == topic), key=lambda tp: tp.partition
        )
        if not mine:
            continue
        found = await kafka.offsets_for_times({tp: epoch_ms(at) for tp in mine})
        ends = await kafka.end_offsets(mine)
        targets: dict[TopicPartition, int] = {}
        for tp in mine:
            first = found.get(tp)  # None: no record that recent, start at the end
            targets[tp] = first.offset if first is not None else ends[tp]
        previous = {tp: await kafka.position(tp) for tp in mine}
        await member.seek_and_commit(targets)
        for tp in mine:
            owned.add(tp.partition)
            moved.append(PartitionRewind(tp.partition, targets[tp], previous[tp]))
    result = ConsumerRewind(
        group_id=subscribed[0].group_id,
        topic=topic,
        at=at,
        partitions=tuple(moved),
        not_assigned=tuple(sorted(all_partitions - owned)),
    )
    log.info(
        "consumer rewound",
        group=result.group_id,
        topic=topic,
        at=at.isoformat(),
        partitions={p.partition: (p.previous_offset, p.offset) for p in moved},
        not_assigned=list(result.not_assigned),
    )
    return result


class GroupHasMembers(Exception):
    """The group has live members: only they may move its offsets (use the admin RPC)."""


async def rewind_idle_group(
    bootstrap_servers: str,
    group_id: str,
    topic: str,
    at: datetime,
    *,
    kafka_options: Mapping[str, Any] | None = None,
) -> ConsumerRewind:
    """Commit ``group_id``'s offsets on ``topic`` at ``at`` while no member is running.

    The way for a service that cannot answer the admin RPC (stopped, or crash-looping
    on a record): its replicas start from these offsets. Kafka refuses the commit
    while the group has members; that raises :class:`GroupHasMembers`. A topic
    without partitions raises ValueError.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        client_id="agora-ops-rewind",
        enable_auto_commit=False,
        **(kafka_options or {}),
    )
    await consumer.start()
    try:
        if topic not in await consumer.topics():
            raise ValueError(f"no topic {topic}")
        partitions = await topic_partitions(
            [topic], bootstrap_servers=bootstrap_servers, **(kafka_options or {})
        )
        consumer.assign(partitions)
        found = await consumer.offsets_for_times({tp: epoch_ms(at) for tp in partitions})
        ends = await consumer.end_offsets(partitions)
        targets: dict[TopicPartition, int] = {}
        previous: dict[TopicPartition, int] = {}
        for tp in partitions:
            first = found.get(tp)
            targets[tp] = first.offset if first is not None else ends[tp]
            committed = await consumer.committed(tp)
            previous[tp] = committed if committed is not None else -1
        try:
            await consumer.commit(targets)
        except (CommitFailedError, KafkaError) as error:
            raise GroupHasMembers(
                f"{group_id} has live members, which alone may move its offsets: "
                f"stop them first, or ask the running service ({error!r})"
            ) from error
    finally:
        await consumer.stop()
    result = ConsumerRewind(
        group_id=group_id,
        topic=topic,
        at=at,
        partitions=tuple(
            PartitionRewind(tp.partition, targets[tp], previous[tp]) for tp in partitions
        ),
    )
    log.info(
        "idle group rewound",
        group=group_id,
        topic=topic,
        at=at.isoformat(),
        partitions={p.partition: (p.previous_offset, p.offset) for p in result.partitions},
    )
    return result
