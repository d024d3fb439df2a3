"""What every consumer-group member of a service shares: the subscription's state.

:class:`GroupMember` owns one consumer-group subscription over some topics: the
partitions assigned, finished offsets committed as explicit per-partition offsets
(a bare ``consumer.commit()`` would commit every fetched position, so auto-commit is
off), the poll loop of its aiokafka consumer (up to ``batches_in_flight`` polls handled
at once, never two of one partition), operators' seeks,
graceful draining, parsing and validating a record against the event registry,
judging a handler's failure (retry, back off, or dead-letter), retrying through an
infrastructure outage, and writing dead-letter copies.
:class:`~agora_core.messaging.batch_consumer.BatchEventConsumer` builds on it: it
handles a poll per database transaction and says which offsets finished.

A commit refused by a rebalance is counted and the new owner of the partition gets
the records again, where the processed-event marks absorb them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from agora_contracts.events import EventRegistry
from agora_core.messaging.dead_letters import DeadLetter, dead_letter_copy, dlq_topic
from agora_core.messaging.events import ReceivedEvent
from agora_core.messaging.kafka_connection import KafkaConnection
from agora_core.messaging.metrics import COMMITS_FAILED, CONSUMER_LAG, EVENTS_FAILED
from agora_core.messaging.publisher import EventPublisher
from agora_core.messaging.records import parse_record
from agora_core.messaging.retry import FailureKind, backoff_seconds, classify

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    backoff_ms: int = 200
    backoff_max_ms: int = 10_000


class Abandoned(Exception):
    """Shutting down mid-retry; leave the records uncommitted for redelivery."""


class GroupMember(ABC):
    """One consumer-group subscription over some topics, dispatching on ``ce_type``."""

    def __init__(
        self,
        broker: KafkaConnection,
        *,
        service: str,
        group_id: str,
        topics: Sequence[str],
        handled_types: Collection[str],
        registry: EventRegistry,
        publisher: EventPublisher,
        retry: RetryPolicy,
        max_records: int = 500,
        max_payload_bytes: int = 1024 * 1024,
        batches_in_flight: int = 2,
    ) -> None:
        if batches_in_flight < 1:
            raise ValueError("batches_in_flight must be at least 1")
        unknown = sorted(t for t in handled_types if not registry.knows(t))
        if unknown:
            raise ValueError(f"handlers for unregistered event types: {unknown}")
        self._service = service
        self._group_id = group_id
        self._topics = frozenset(topics)
        self._handled = frozenset(handled_types)
        self._registry = registry
        self._publisher = publisher
        self._retry = retry
        self._max_records = max_records
        self._batches_in_flight = batches_in_flight
        self._max_payload_bytes = max_payload_bytes
        self._pending: dict[TopicPartition, int] = {}
        # Bumped by seek_and_commit: a record fetched before a seek must not commit
        # its offset over the new position.
        self._seeks: dict[TopicPartition, int] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._stopping = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._polling: asyncio.Task[None] | None = None
        self._batches: set[asyncio.Task[None]] = set()
        self._busy: set[TopicPartition] = set()  # partitions of the batches in flight
        broker.register(self)

    @abstractmethod
    async def process_batch(
        self, records: Sequence[ConsumerRecord[Any, Any]], consumer: AIOKafkaConsumer
    ) -> None:
        """Handle one poll's records to a final state; never raises. Runs beside the
        batches of other partitions (``batches_in_flight``), never beside one of its own."""

    async def start(self, connection: KafkaConnection) -> None:
        """Join the group (the connection's security and client id) and start polling."""
        consumer = AIOKafkaConsumer(
            *sorted(self._topics),
            group_id=self._group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_interval_ms=10 * 60 * 1000,
            max_poll_records=self._max_records,
            **connection.client_kwargs(),
        )
        await consumer.start()
        self._consumer = consumer
        self._polling = asyncio.create_task(self._poll(consumer))

    async def stop(self) -> None:
        """Stop polling and leave the group (call :meth:`drain` first to commit)."""
        self._stopping = True
        polling, self._polling = self._polling, None
        if polling is not None:
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
        batches = list(self._batches)
        for batch in batches:  # uncommitted: redelivered, absorbed by the marks
            batch.cancel()
        await asyncio.gather(*batches, return_exceptions=True)
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await consumer.stop()

    async def _poll(self, consumer: AIOKafkaConsumer) -> None:
        """Take polls of the partitions no batch in flight holds, and handle each in a
        task of its own: while one batch waits on the database, the next is decoded
        and scored (with two in flight one gamification process reached 0.74 of the
        storage floor instead of 0.60: bench/README.md)."""
        failures = 0
        while not self._stopping:
            free = [tp for tp in consumer.assignment() if tp not in self._busy]
            if len(self._batches) >= self._batches_in_flight or not free:
                # getmany() with no partition named would take every partition's records
                if self._batches:
                    await asyncio.wait(self._batches, return_when=asyncio.FIRST_COMPLETED)
                else:
                    await asyncio.sleep(0.1)  # rebalancing: nothing assigned yet
                continue
            try:
                # Short waits while a batch runs, so its partition is polled again soon.
                fetched = await consumer.getmany(
                    *free, timeout_ms=5 if self._batches else 100, max_records=self._max_records
                )
            except KafkaError as error:  # the client retries most; wait, then poll again
                failures += 1
                log.warning("polling failed, retrying", group=self._group_id, error=repr(error))
                await asyncio.sleep(backoff_seconds(failures, 200, 5_000))
                continue
            failures = 0
            records = [record for batch in fetched.values() for record in batch]
            if records:
                self._start_batch(records, consumer, set(fetched))

    def _start_batch(
        self,
        records: Sequence[ConsumerRecord[Any, Any]],
        consumer: AIOKafkaConsumer,
        partitions: set[TopicPartition],
    ) -> None:
        # Counted in flight before the task runs, so drain() cannot miss it.
        self._in_flight += 1
        self._idle.clear()
        self._busy |= partitions
        batch = asyncio.create_task(self._run_batch(records, consumer, partitions))
        self._batches.add(batch)
        batch.add_done_callback(self._batches.discard)

    async def _run_batch(
        self,
        records: Sequence[ConsumerRecord[Any, Any]],
        consumer: AIOKafkaConsumer,
        partitions: set[TopicPartition],
    ) -> None:
        try:
            await self.process_batch(records, consumer)
        finally:
            self._busy -= partitions
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    @property
    def topics(self) -> frozenset[str]:
        return self._topics

    @property
    def group_id(self) -> str:
        return self._group_id

    @property
    def kafka_consumer(self) -> AIOKafkaConsumer | None:
        """The group member's aiokafka consumer, once started."""
        return self._consumer

    @property
    def handled_types(self) -> frozenset[str]:
        """Event types this consumer handles; records of any other type are ignored."""
        return self._handled

    @property
    def assignment(self) -> set[TopicPartition]:
        consumer = self.kafka_consumer
        return set(consumer.assignment()) if consumer is not None else set()

    async def seek_and_commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Move this member to ``offsets`` on partitions it owns and commit them there,
        so the move survives a rebalance or a restart (operators' rewind).

        Finished offsets not yet committed on those partitions are dropped, and the
        record in flight, if any, will not commit its own: both point past the new
        position. Raises ValueError for a partition this member does not own.
        """
        consumer = self.kafka_consumer
        if consumer is None:
            raise ValueError(f"{self._group_id}: not started")
        foreign = sorted(str(tp) for tp in offsets if tp not in consumer.assignment())
        if foreign:
            raise ValueError(f"{self._group_id}: partitions not assigned here: {foreign}")
        for tp, offset in offsets.items():
            self._pending.pop(tp, None)
            self._seeks[tp] = self._seeks.get(tp, 0) + 1
            consumer.seek(tp, offset)
        await consumer.commit(dict(offsets))

    async def wait_for_assignment(self, timeout: float = 30.0) -> None:
        """Block until the group has given this consumer partitions (joins take seconds)."""
        deadline = time.monotonic() + timeout
        while not self.assignment:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self._group_id}: no partitions assigned in {timeout}s")
            await asyncio.sleep(0.05)

    async def drain(self) -> None:
        """Stop taking records, let the batch in flight finish, commit what is done."""
        self._stopping = True
        await self._idle.wait()
        await self.flush_commits()

    def _parse(self, record: ConsumerRecord[Any, Any]) -> ReceivedEvent[Any] | None:
        return parse_record(record, self._registry, self._handled, self._max_payload_bytes)

    def _judge_failure(
        self, event: ReceivedEvent[Any], error: Exception, attempt: int, transient_failures: int
    ) -> tuple[DeadLetter | None, int]:
        """Count and log a failed attempt; the DLQ verdict when retrying cannot help.

        Returns the verdict (None: retry) and the transient failures counted so far;
        only those count towards ``max_attempts`` (an outage says nothing of the event).
        """
        kind = classify(error)
        EVENTS_FAILED.labels(self._service, event.topic, kind.value).inc()
        log.warning(
            "event handler failed",
            event_id=event.event_id,
            attempt=attempt,
            kind=kind.value,
            error=repr(error),
        )
        if kind is FailureKind.PERMANENT:
            return DeadLetter("handler-rejected", repr(error), attempt), transient_failures
        if kind is FailureKind.TRANSIENT:
            transient_failures += 1
            if transient_failures >= self._retry.max_attempts:
                return DeadLetter("retries-exhausted", repr(error), attempt), transient_failures
        return None, transient_failures

    async def _with_infra_retry(self, call: Callable[[], Awaitable[Any]]) -> Any:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await call()
            except Exception as error:
                if classify(error) is not FailureKind.INFRASTRUCTURE:
                    raise
                log.warning("infrastructure unavailable, retrying", error=repr(error))
                await self._pause(attempt)

    async def _pause(self, attempt: int) -> None:
        if self._stopping:
            raise Abandoned
        await asyncio.sleep(
            backoff_seconds(attempt, self._retry.backoff_ms, self._retry.backoff_max_ms)
        )
        if self._stopping:
            raise Abandoned

    async def _dead_letter(self, record: ConsumerRecord[Any, Any], dead: DeadLetter) -> None:
        headers, value = dead_letter_copy(record, dead, self._group_id)
        log.error(
            "event dead-lettered",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=dead.reason,
            detail=dead.detail[:500],
        )
        # Publishing the DLQ record must succeed before the offset moves on: a broker
        # outage here stalls the partition instead of losing the record.
        await self._with_infra_retry(
            lambda: self._publisher.publish_raw(
                dlq_topic(record.topic), key=record.key, value=value, headers=headers
            )
        )

    async def flush_commits(self) -> None:
        """Commit the explicit next offset of every partition with finished records."""
        consumer = self._consumer
        if consumer is None or not self._pending:
            return
        offsets, self._pending = self._pending, {}
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError, KafkaError) as error:
            for topic in {tp.topic for tp in offsets}:
                COMMITS_FAILED.labels(self._service, topic).inc()
            log.warning("offset commit refused; records will be redelivered", error=repr(error))
            # Keep the offsets of partitions still ours (unless newer ones arrived);
            # a revoked partition's records go to its new owner, who dedupes them.
            assigned = consumer.assignment()
            for tp, offset in offsets.items():
                if tp in assigned:
                    self._pending.setdefault(tp, offset)
            return
        except Exception:
            # Unexpected: keep the offsets for the next round rather than drop them.
            for tp, offset in offsets.items():
                self._pending.setdefault(tp, offset)
            raise
        # A rebalance may have taken partitions away while the commit was in flight;
        # aiokafka's highwater() asserts on a partition no longer assigned.
        assigned = consumer.assignment()
        for tp, next_offset in offsets.items():
            if tp not in assigned:
                continue
            highwater = consumer.highwater(tp)
            if highwater is not None:
                CONSUMER_LAG.labels(self._service, tp.topic, str(tp.partition)).set(
                    max(0, highwater - next_offset)
                )
