"""Replay for operators: re-deliver dead letters after a fix.

Neither ever doubles an effect. Records go back byte for byte, with their original
CloudEvents headers and id, and every consumer skips an id it has already processed
(the processed-event marks of :mod:`agora_core.postgres.processed`, written in the
consumer's transaction); re-reading only costs work.

*Dead letters* (:func:`replay_dead_letters`): the records of ``<topic>.dlq`` are
published again on ``<topic>`` without their ``agora-dlq-*`` headers, so the
partitioner puts each on the partition of its key as before. The replayer keeps its
own progress in a consumer group per (topic, filter), :func:`replayer_group`: offsets
are committed once a batch is acknowledged by the broker, so running the same replay
again publishes nothing already replayed, and an interrupted run resumes where it
stopped (at worst re-sending the last unacknowledged batch, which consumers absorb).
A different filter has its own progress and starts at the beginning of the DLQ.

Rewinding a consumer group to a time is in :mod:`agora_core.messaging.rewind`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from agora_core.messaging.dead_letters import DLQ_HEADER_PREFIX, dlq_topic
from agora_core.messaging.partitions import topic_partitions
from agora_core.messaging.publisher import EventPublisher, RawRecord

log = structlog.get_logger(__name__)

REPLAYER_GROUP_PREFIX: Final = "agora-ops.dlq-replay"
DEFAULT_MAX_RECORDS: Final = 10_000
MAX_RECORDS_LIMIT: Final = 100_000
# Polls that return nothing before a partition below its end is given up on (only
# possible with transaction markers or a truncated log; Agora never writes either).
_EMPTY_POLLS_ALLOWED: Final = 5


@dataclass(frozen=True)
class DeadLetterFilter:
    """Which dead letters to replay; an empty filter matches every record."""

    event_types: frozenset[str] = frozenset()
    tenant_id: str | None = None
    failed_group: str | None = None
    """Only records the consumer group of this name dead-lettered (``agora-dlq-group``)."""
    after: datetime | None = None
    """Dead-lettered at or after (the DLQ record's timestamp)."""
    before: datetime | None = None
    """Dead-lettered strictly before."""

    def matches(self, headers: Mapping[str, str], timestamp_ms: int) -> bool:
        """Whether a DLQ record with these headers and timestamp is to be replayed."""
        if self.event_types and headers.get("ce_type") not in self.event_types:
            return False
        if self.tenant_id is not None and headers.get("ce_tenantid") != self.tenant_id:
            return False
        if (
            self.failed_group is not None
            and headers.get(f"{DLQ_HEADER_PREFIX}group") != self.failed_group
        ):
            return False
        if self.after is not None and timestamp_ms < epoch_ms(self.after):
            return False
        return self.before is None or timestamp_ms < epoch_ms(self.before)

    def fingerprint(self) -> str:
        """``all`` for the empty filter, else a short stable digest of its criteria."""
        criteria: dict[str, Any] = {
            "types": sorted(self.event_types),
            "tenant": self.tenant_id,
            "failed_group": self.failed_group,
            "after": epoch_ms(self.after) if self.after else None,
            "before": epoch_ms(self.before) if self.before else None,
        }
        if not any(criteria.values()):
            return "all"
        canonical = json.dumps(criteria, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def replayer_group(topic: str, dead_letter_filter: DeadLetterFilter) -> str:
    """The consumer group holding the progress of this filter's replays of ``topic``."""
    return f"{REPLAYER_GROUP_PREFIX}.{topic}.{dead_letter_filter.fingerprint()}"


def original_headers(headers: Iterable[tuple[str, bytes | str]]) -> dict[str, str]:
    """A DLQ record's headers without the ``agora-dlq-*`` ones the dead-lettering added."""
    return {
        name: value
        for name, value in _decoded(headers).items()
        if not name.startswith(DLQ_HEADER_PREFIX)
    }


def _decoded(headers: Iterable[tuple[str, bytes | str]]) -> dict[str, str]:
    return {
        name: raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        for name, raw in headers
    }


@dataclass(frozen=True)
class DeadLetterReplay:
    """What one replay run did."""

    topic: str
    dead_letter_topic: str
    replayer_group: str
    dry_run: bool
    read: int = 0
    """DLQ records read (those after this filter's previous run)."""
    matched: int = 0
    replayed: int = 0
    """Records published back to ``topic`` (0 in a dry run)."""
    filtered_out: int = 0
    remaining: int = 0
    """DLQ records not read because ``max_records`` was reached."""


@dataclass(frozen=True)
class ReplayProgress:
    """How far a running replay is (reported after each batch)."""

    read: int = 0
    matched: int = 0
    replayed: int = 0
    total: int = 0
    """Records this run will read, once the DLQ's positions are known (else 0)."""


ProgressListener = Callable[[ReplayProgress], None]


async def replay_dead_letters(
    bootstrap_servers: str,
    publisher: EventPublisher,
    topic: str,
    *,
    dead_letter_filter: DeadLetterFilter | None = None,
    max_records: int = DEFAULT_MAX_RECORDS,
    dry_run: bool = False,
    batch_size: int = 500,
    kafka_options: Mapping[str, Any] | None = None,
    on_progress: ProgressListener | None = None,
) -> DeadLetterReplay:
    """Publish the matching records of ``<topic>.dlq`` back to ``topic``, once.

    Reads from this filter's committed position up to the end of the DLQ as it was
    when the call started (records dead-lettered meanwhile wait for the next run).
    A dry run counts what would be replayed and publishes and commits nothing.
    ``on_progress`` hears the counts once the total is known and after each batch.
    """
    if not 1 <= max_records <= MAX_RECORDS_LIMIT:
        raise ValueError(f"max_records must be within 1..{MAX_RECORDS_LIMIT}")
    criteria = dead_letter_filter or DeadLetterFilter()
    dead_letters = dlq_topic(topic)
    group = replayer_group(topic, criteria)
    report = _ReplayCounts(listener=on_progress)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=group,
        client_id="agora-ops-replay",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **(kafka_options or {}),
    )
    await consumer.start()
    try:
        if dead_letters in await consumer.topics():
            partitions = await topic_partitions(
                [dead_letters], bootstrap_servers=bootstrap_servers, **(kafka_options or {})
            )
            consumer.assign(partitions)
            ends: dict[TopicPartition, int] = dict(await consumer.end_offsets(partitions))
            behind = 0
            for tp, end in ends.items():
                behind += max(0, end - await consumer.position(tp))
            report.total = min(max_records, behind)
            report.tell()
            await _replay_partitions(
                consumer, publisher, topic, criteria, ends, report, max_records, dry_run, batch_size
            )
            for tp, end in ends.items():
                report.remaining += max(0, end - await consumer.position(tp))
    finally:
        await consumer.stop()
    result = DeadLetterReplay(
        topic=topic,
        dead_letter_topic=dead_letters,
        replayer_group=group,
        dry_run=dry_run,
        read=report.read,
        matched=report.matched,
        replayed=report.replayed,
        filtered_out=report.read - report.matched,
        remaining=report.remaining,
    )
    log.info("dead letters replayed", **result.__dict__)
    return result


@dataclass
class _ReplayCounts:
    read: int = 0
    matched: int = 0
    replayed: int = 0
    remaining: int = 0
    total: int = 0
    listener: ProgressListener | None = None

    def tell(self) -> None:
        if self.listener is not None:
            self.listener(ReplayProgress(self.read, self.matched, self.replayed, self.total))


async def _replay_partitions(
    consumer: AIOKafkaConsumer,
    publisher: EventPublisher,
    topic: str,
    criteria: DeadLetterFilter,
    ends: Mapping[TopicPartition, int],
    counts: _ReplayCounts,
    max_records: int,
    dry_run: bool,
    batch_size: int,
) -> None:
    empty_polls = 0
    while counts.read < max_records:
        todo = [tp for tp, end in ends.items() if await consumer.position(tp) < end]
        if not todo or empty_polls >= _EMPTY_POLLS_ALLOWED:
            return
        fetched = await consumer.getmany(
            *todo, timeout_ms=1000, max_records=min(batch_size, max_records - counts.read)
        )
        empty_polls = 0 if fetched else empty_polls + 1
        batch: list[RawRecord] = []
        done: dict[TopicPartition, int] = {}
        for tp, records in fetched.items():
            for record in records:
                if record.offset >= ends[tp]:
                    # Dead-lettered after the run started: left for the next run.
                    consumer.seek(tp, record.offset)
                    break
                counts.read += 1
                done[tp] = record.offset + 1
                if criteria.matches(_decoded(record.headers or ()), record.timestamp):
                    counts.matched += 1
                    batch.append(_as_raw(record, original_headers(record.headers or ())))
        if dry_run or not done:
            counts.tell()
            continue
        if batch:
            await publisher.publish_raw_many(topic, batch)
            counts.replayed += len(batch)
        # Only after the broker acknowledged the batch: a crash before this line
        # re-sends it next time, which consumers absorb by event id.
        await consumer.commit(done)
        counts.tell()


def _as_raw(record: ConsumerRecord[Any, Any], headers: Mapping[str, str]) -> RawRecord:
    return RawRecord(key=record.key, value=record.value or b"", headers=headers)


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of ``moment`` (a naive one is taken as UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)
