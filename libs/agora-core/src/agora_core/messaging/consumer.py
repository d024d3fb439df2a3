"""The consumer pipeline every subscriber goes through.

For each record, in partition order: parse the CloudEvents headers, find the type in
the registry, validate the payload, skip an id already processed, run the handler
with bounded retries and backoff, dead-letter what cannot be handled, record the id,
and mark its offset finished. Finished offsets are committed as explicit
per-partition offsets every ``commit_interval`` (100 ms by default; 0 commits after
each record) and on drain. FastStream's own commit (a bare ``consumer.commit()``)
would commit every fetched position and could skip a record still being retried, so
acknowledgement is manual (``AckPolicy.MANUAL``) and done here.

A record is never left behind: it ends handled, skipped as a duplicate, ignored
(a type this consumer does not handle), or dead-lettered; only then is its offset
committed. A commit refused by a rebalance is counted and the new owner of the
partition gets the record again, where the processed-id check absorbs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.subscriber.usecase import LogicSubscriber
from pydantic import ValidationError

from agora_contracts.events import CloudEventEnvelope, EnvelopeError, EventRegistry
from agora_core.messaging.events import ReceivedEvent
from agora_core.messaging.idempotency import ProcessedEvents
from agora_core.messaging.metrics import (
    COMMITS_FAILED,
    CONSUMER_LAG,
    EVENTS_CONSUMED,
    EVENTS_FAILED,
    HANDLER_SECONDS,
)
from agora_core.messaging.publisher import EventPublisher
from agora_core.messaging.retry import FailureKind, backoff_seconds, classify
from agora_core.tracing.spans import consumed_event_span

log = structlog.get_logger(__name__)

EventHandler = Callable[[ReceivedEvent[Any]], Awaitable[None]]

DLQ_SUFFIX = ".dlq"
DLQ_HEADER_PREFIX = "agora-dlq-"


DLQ_VALUE_LIMIT = 256 * 1024
"""Bytes of a record's value a DLQ copy keeps. A value near the broker's message size
limit plus the DLQ headers would not fit, and a DLQ publish that can never succeed
would stall its partition forever; the original stays on its topic at the recorded
partition and offset until retention."""


def dlq_topic(topic: str) -> str:
    return f"{topic}{DLQ_SUFFIX}"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    backoff_ms: int = 200
    backoff_max_ms: int = 10_000


class DeadLetter(Exception):
    """Internal: the record must go to the DLQ with this reason."""

    def __init__(self, reason: str, detail: str, attempts: int = 0) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.attempts = attempts


class _Abandoned(Exception):
    """Internal: shutting down mid-retry; leave the record uncommitted for redelivery."""


class EventConsumer:
    """One consumer-group subscription over some topics, dispatching on ``ce_type``."""

    def __init__(
        self,
        broker: KafkaBroker,
        *,
        service: str,
        group_id: str,
        topics: Sequence[str],
        handlers: Mapping[str, EventHandler],
        registry: EventRegistry,
        processed: ProcessedEvents | None,
        publisher: EventPublisher,
        retry: RetryPolicy,
        max_payload_bytes: int = 1024 * 1024,
        commit_interval: float = 0.1,
    ) -> None:
        unknown = [t for t in handlers if not registry.knows(t)]
        if unknown:
            raise ValueError(f"handlers for unregistered event types: {unknown}")
        self._service = service
        self._group_id = group_id
        self._topics = frozenset(topics)
        self._handlers = dict(handlers)
        self._registry = registry
        self._processed = processed
        self._publisher = publisher
        self._retry = retry
        self._max_payload_bytes = max_payload_bytes
        self._commit_interval = commit_interval
        self._pending: dict[TopicPartition, int] = {}
        # Bumped by seek_and_commit: a record fetched before a seek must not commit
        # its offset over the new position.
        self._seeks: dict[TopicPartition, int] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._stopping = False
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.subscriber: LogicSubscriber[Any] = self._subscribe(broker, topics)

    def _subscribe(self, broker: KafkaBroker, topics: Sequence[str]) -> LogicSubscriber[Any]:
        """The group's FastStream subscriber, calling :meth:`process` for each record."""
        subscriber: LogicSubscriber[Any] = broker.subscriber(
            *topics,
            group_id=self._group_id,
            ack_policy=AckPolicy.MANUAL,
            auto_offset_reset="earliest",
            max_poll_interval_ms=10 * 60 * 1000,
            # FastStream would decode JSON itself and drop a record it cannot parse
            # before our pipeline sees it; the raw bytes are validated (or
            # dead-lettered) here instead.
            decoder=_raw_body,
        )

        async def on_record(message: KafkaMessage) -> None:
            await self.process(message.raw_message, message.consumer)

        subscriber(on_record)
        return subscriber

    @property
    def topics(self) -> frozenset[str]:
        return self._topics

    @property
    def group_id(self) -> str:
        return self._group_id

    @property
    def kafka_consumer(self) -> AIOKafkaConsumer | None:
        """The group member's aiokafka consumer, once the subscriber has started."""
        consumer: AIOKafkaConsumer | None = getattr(self.subscriber, "consumer", None)
        return consumer

    @property
    def handled_types(self) -> frozenset[str]:
        """Event types this consumer handles; records of any other type are ignored."""
        return frozenset(self._handlers)

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
        """Stop taking records, let the one in flight finish, commit what is done."""
        self._stopping = True
        await self._idle.wait()
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        await self.flush_commits()

    async def process(self, record: ConsumerRecord[Any, Any], consumer: AIOKafkaConsumer) -> None:
        """Handle one record to a final state, then commit its offset. Never raises."""
        if self._stopping:
            return  # not committed: the next owner of the partition handles it
        self._in_flight += 1
        self._idle.clear()
        started = time.perf_counter()
        partition = TopicPartition(record.topic, record.partition)
        seeks_before = self._seeks.get(partition, 0)
        try:
            outcome = await self._handle(record)
        except _Abandoned:
            return
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()
            HANDLER_SECONDS.labels(self._service, record.topic).observe(
                time.perf_counter() - started
            )
        EVENTS_CONSUMED.labels(self._service, record.topic, outcome[1], outcome[0]).inc()
        if self._seeks.get(partition, 0) != seeks_before:
            return  # the partition was sought meanwhile: this offset is no longer next
        # Records of a partition finish in order, so the newest finished offset is safe
        # to commit: it never passes a record still being handled.
        self._pending[partition] = record.offset + 1
        self._consumer = consumer
        if self._commit_interval <= 0:
            await self.flush_commits()
        elif self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._commit_periodically())

    async def _handle(self, record: ConsumerRecord[Any, Any]) -> tuple[str, str]:
        """Return (outcome, event type) once the record reached a final state."""
        try:
            event = self._parse(record)
            if event is None:
                return "ignored", _header(record, "ce_type") or "unknown"
            processed = self._processed
            assert processed is not None, "a record-at-a-time consumer needs processed marks"
            if await self._with_infra_retry(lambda: processed.seen(event.event_id)):
                return "duplicate", event.envelope.type
            await self._run_handler(event)
            await self._with_infra_retry(
                lambda: processed.mark(
                    event.event_id, tenant_id=event.tenant_id, event_type=event.envelope.type
                )
            )
            return "handled", event.envelope.type
        except DeadLetter as dead:
            await self._dead_letter(record, dead)
            return "dead_lettered", _header(record, "ce_type") or "unknown"

    def _parse(self, record: ConsumerRecord[Any, Any]) -> ReceivedEvent[Any] | None:
        try:
            envelope = CloudEventEnvelope.from_headers(record.headers or ())
        except EnvelopeError as error:
            raise DeadLetter("invalid-envelope", str(error)) from None
        if not self._registry.knows(envelope.type) or envelope.type not in self._handlers:
            return None
        spec = self._registry.spec(envelope.type)
        if spec.topic != record.topic:
            raise DeadLetter("wrong-topic", f"{envelope.type} belongs on {spec.topic}")
        value = record.value or b""
        if len(value) > self._max_payload_bytes:
            raise DeadLetter("oversize", f"payload of {len(value)} bytes")
        try:
            payload = spec.payload.model_validate_json(value)
        except ValidationError as error:
            raise DeadLetter("invalid-payload", _summarise(error)) from None
        key = record.key.decode("utf-8", "replace") if record.key is not None else None
        return ReceivedEvent(envelope, payload, record.topic, record.partition, record.offset, key)

    async def _run_handler(self, event: ReceivedEvent[Any]) -> None:
        handler = self._handlers[event.envelope.type]
        attempt = 0
        # Only transient failures count towards max_attempts: attempts made while the
        # database or broker is down say nothing about the event.
        transient_failures = 0
        while True:
            attempt += 1
            try:
                with (
                    structlog.contextvars.bound_contextvars(
                        event_id=event.event_id,
                        event_type=event.envelope.type,
                        tenant=event.tenant_id,
                        trace=event.envelope.traceparent,
                    ),
                    consumed_event_span(event, self._group_id),
                ):
                    await handler(event)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                dead, transient_failures = self._judge_failure(
                    event, error, attempt, transient_failures
                )
                if dead is not None:
                    raise dead from error
                await self._pause(attempt)
            else:
                return

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
            raise _Abandoned
        await asyncio.sleep(
            backoff_seconds(attempt, self._retry.backoff_ms, self._retry.backoff_max_ms)
        )
        if self._stopping:
            raise _Abandoned

    async def _dead_letter(self, record: ConsumerRecord[Any, Any], dead: DeadLetter) -> None:
        headers = {
            name: raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            for name, raw in (record.headers or ())
            if not name.startswith(DLQ_HEADER_PREFIX)
        }
        headers.update(
            {
                f"{DLQ_HEADER_PREFIX}reason": dead.reason,
                f"{DLQ_HEADER_PREFIX}error": dead.detail[:2000],
                f"{DLQ_HEADER_PREFIX}topic": record.topic,
                f"{DLQ_HEADER_PREFIX}partition": str(record.partition),
                f"{DLQ_HEADER_PREFIX}offset": str(record.offset),
                f"{DLQ_HEADER_PREFIX}group": self._group_id,
                f"{DLQ_HEADER_PREFIX}attempts": str(dead.attempts),
                f"{DLQ_HEADER_PREFIX}time": datetime.now(UTC).isoformat(),
            }
        )
        value = record.value or b""
        if len(value) > DLQ_VALUE_LIMIT:
            headers[f"{DLQ_HEADER_PREFIX}truncated-from"] = str(len(value))
            value = value[:DLQ_VALUE_LIMIT]
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

    async def _commit_periodically(self) -> None:
        """Commit finished offsets every ``commit_interval``: one round trip per interval
        instead of one per record. A crash loses at most that window's commits, and the
        redelivered records are absorbed by the processed-id check."""
        while True:
            await asyncio.sleep(self._commit_interval)
            try:
                await self.flush_commits()
            except Exception as error:
                # This task is the only committer between drains: if it ended, nothing
                # would be committed again for the life of the process (found by
                # tests/faults: a replica added and removed under load).
                log.error("offset commit round failed; next round retries", error=repr(error))

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


async def _raw_body(message: Any) -> Any:
    return message.body


def _header(record: ConsumerRecord[Any, Any], name: str) -> str | None:
    for key, raw in record.headers or ():
        if key == name:
            return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return None


def _summarise(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(payload)'}: {e['msg']}" for e in error.errors()
    )[:2000]
