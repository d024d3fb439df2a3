"""The batch-first consumer of services on PostgreSQL.

A poll's records are handled partition by partition; each partition's events run in
ONE unit of work: the processed-event marks are inserted first (``ON CONFLICT DO
NOTHING RETURNING``: one round trip finds every redelivered id, and those events are
skipped), each new event's handler runs with the unit of work (its effects and
outbox rows join the transaction), then the transaction commits, then the offsets.
Effects, outbox rows and marks commit together, so exactly-once effect needs nothing
from handlers.

A failing record is isolated: the transaction rolls back, the events before it commit
on their own, it is retried alone with backoff, then dead-lettered, and the rest of
the batch goes on. When the failure cannot be pinned on one event (a set handler's
run, or the commit itself), the events are retried by halves until it can. Order per
partition holds for every event that is not dead-lettered. While the database or the
broker is down the batch waits and retries (an outage never dead-letters a good event).

Polls of other partitions run beside it (``batches_in_flight``, see
:class:`~agora_core.messaging.group_member.GroupMember`), each in its own transaction.

Handlers come in two kinds: one event at a time (``BatchEventHandler``, scoped to the
event's tenant), or a set handler (``EventSetHandler``) given every new event of a run
of its type at once, so a batch costs one statement instead of one per event.
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from agora_contracts.events import EventRegistry
from agora_core.messaging.dead_letters import DeadLetter
from agora_core.messaging.events import ReceivedEvent
from agora_core.messaging.group_member import Abandoned, GroupMember, RetryPolicy
from agora_core.messaging.kafka_connection import KafkaConnection
from agora_core.messaging.metrics import EVENTS_CONSUMED, HANDLER_SECONDS, TENANT_EVENTS_CONSUMED
from agora_core.messaging.publisher import EventPublisher
from agora_core.messaging.records import header
from agora_core.messaging.retry import FailureKind, classify
from agora_core.postgres.processed import mark_processed
from agora_core.postgres.unit_of_work import Database, UnitOfWork
from agora_core.tracing.spans import consumed_event_span, event_set_span

log = structlog.get_logger(__name__)

BatchEventHandler = Callable[[ReceivedEvent[Any], UnitOfWork], Awaitable[None]]
"""A handler of a PostgreSQL-backed service: the event and the batch's unit of work,
already scoped to the event's tenant."""

EventSetHandler = Callable[[Sequence[ReceivedEvent[Any]], UnitOfWork], Awaitable[None]]
"""A set-based handler: every new event of a run of its type in the batch at once (in
partition order, possibly of several tenants: scope each tenant's statements with
``uow.set_tenant``, see :func:`by_tenant`). One statement for the whole run (an
``unnest`` insert, one read per aggregate) instead of one per event."""

Item = tuple[ConsumerRecord[Any, Any], ReceivedEvent[Any]]


def by_tenant(events: Sequence[ReceivedEvent[Any]]) -> list[tuple[str, list[ReceivedEvent[Any]]]]:
    """``events`` grouped by tenant, tenants in order of first appearance, each
    tenant's events in their order (order per key holds: a key lives in one tenant)."""
    groups: dict[str, list[ReceivedEvent[Any]]] = {}
    for event in events:
        groups.setdefault(event.tenant_id, []).append(event)
    return list(groups.items())


class _HandlerFailed(Exception):
    """Items ``index`` to ``index + width`` failed together (width 1: that one item;
    more: a set handler's run, or every item when the commit itself failed)."""

    def __init__(self, index: int, error: Exception, width: int = 1) -> None:
        super().__init__(repr(error))
        self.index = index
        self.error = error
        self.width = width


class BatchEventConsumer(GroupMember):
    """One consumer-group subscription whose records are handled a poll at a time."""

    def __init__(
        self,
        broker: KafkaConnection,
        *,
        service: str,
        group_id: str,
        topics: Sequence[str],
        handlers: Mapping[str, BatchEventHandler],
        registry: EventRegistry,
        database: Database,
        set_handlers: Mapping[str, EventSetHandler] | None = None,
        publisher: EventPublisher,
        retry: RetryPolicy,
        max_records: int = 500,
        max_payload_bytes: int = 1024 * 1024,
        batches_in_flight: int = 2,
        per_tenant_metrics: bool = False,
    ) -> None:
        self._database = database
        self._per_tenant_metrics = per_tenant_metrics
        self._batch_handlers = dict(handlers)
        self._set_handlers = dict(set_handlers or {})
        both = sorted(set(self._batch_handlers) & set(self._set_handlers))
        if both:
            raise ValueError(f"event types with a handler and a set handler: {both}")
        super().__init__(
            broker,
            service=service,
            group_id=group_id,
            topics=topics,
            handled_types=[*handlers, *self._set_handlers],
            registry=registry,
            publisher=publisher,
            retry=retry,
            max_records=max_records,
            max_payload_bytes=max_payload_bytes,
            batches_in_flight=batches_in_flight,
        )

    async def process_batch(
        self, records: Sequence[ConsumerRecord[Any, Any]], consumer: AIOKafkaConsumer
    ) -> None:
        """Handle a poll to a final state, partition by partition, then commit. Never raises."""
        if self._stopping or not records:
            return  # not committed: the next owner of the partitions handles them
        by_partition: dict[TopicPartition, list[ConsumerRecord[Any, Any]]] = {}
        for record in records:
            by_partition.setdefault(TopicPartition(record.topic, record.partition), []).append(
                record
            )
        try:
            for partition, batch in by_partition.items():
                seeks_before = self._seeks.get(partition, 0)
                try:
                    await self._process_partition(batch)
                except Abandoned:
                    return
                if self._seeks.get(partition, 0) == seeks_before:
                    self._pending[partition] = batch[-1].offset + 1
            self._consumer = consumer
            await self.flush_commits()
        except Exception as error:  # never stop the consume loop; redelivery is absorbed
            log.error("batch failed unexpectedly; records will be redelivered", error=repr(error))

    async def _process_partition(self, records: Sequence[ConsumerRecord[Any, Any]]) -> None:
        items: list[Item] = []
        for record in records:
            try:
                event = self._parse(record)
            except DeadLetter as dead:
                await self._dead_letter(record, dead)
                self._count(record, header(record, "ce_type"), "dead_lettered")
                continue
            if event is None:
                self._count(record, header(record, "ce_type"), "ignored")
                continue
            items.append((record, event))
        await self._handle_items(items)

    async def _handle_items(self, items: Sequence[Item]) -> None:
        remaining = list(items)
        while remaining:
            batch = remaining
            failure = await self._with_infra_retry(functools.partial(self._apply, batch))
            if failure is None:
                return
            if failure.index > 0:
                await self._handle_items(batch[: failure.index])
            end = failure.index + failure.width
            if failure.width == 1:
                await self._isolate(batch[failure.index], failure.error)
            else:  # find the failing event by halves: a few transactions, not one each
                middle = failure.index + failure.width // 2
                await self._handle_items(batch[failure.index : middle])
                await self._handle_items(batch[middle:end])
            remaining = batch[end:]

    async def _apply(self, items: Sequence[Item]) -> _HandlerFailed | None:
        """Run ``items`` in one unit of work; on a handler failure roll back and say which."""
        outcomes: Counter[tuple[str, str, str]] = Counter()
        tenants: Counter[tuple[str, str]] = Counter()
        try:
            async with self._database.unit_of_work() as uow:
                fresh = await self._fresh_ids(uow, items)
                run: list[ReceivedEvent[Any]] = []
                run_start = 0
                for index, (record, event) in enumerate(items):
                    if event.event_id not in fresh:
                        outcomes[record.topic, event.envelope.type, "duplicate"] += 1
                        tenants[event.tenant_id, "duplicate"] += 1
                        continue
                    fresh.discard(event.event_id)  # the same id twice in one poll: once
                    outcomes[record.topic, event.envelope.type, "handled"] += 1
                    tenants[event.tenant_id, "handled"] += 1
                    if event.envelope.type in self._set_handlers:
                        if run and run[0].envelope.type != event.envelope.type:
                            await self._call_set(run_start, index - run_start, run, uow)
                            run = []
                        if not run:
                            run_start = index
                        run.append(event)
                        continue
                    if run:
                        await self._call_set(run_start, index - run_start, run, uow)
                        run = []
                    await uow.set_tenant(event.tenant_id)
                    await self._call(index, event, uow)
                if run:
                    await self._call_set(run_start, len(items) - run_start, run, uow)
        except _HandlerFailed as failed:
            return failed
        except Exception as error:
            if classify(error) is FailureKind.INFRASTRUCTURE:
                raise
            # Marks, outbox rows or the commit refused (a constraint, a bad value):
            # not attributable to one handler, so to all of them together.
            return _HandlerFailed(0, error, len(items))
        for (topic, event_type, outcome), count in outcomes.items():
            EVENTS_CONSUMED.labels(self._service, topic, event_type, outcome).inc(count)
        if self._per_tenant_metrics:
            for (tenant, outcome), count in tenants.items():
                TENANT_EVENTS_CONSUMED.labels(self._service, tenant, outcome).inc(count)
        return None

    async def _fresh_ids(self, uow: UnitOfWork, items: Sequence[Item]) -> set[str]:
        """Mark ``items`` processed; the ids not marked before (the events to handle)."""
        return await mark_processed(
            uow, self._group_id, [(e.tenant_id, e.event_id, e.envelope.type) for _, e in items]
        )

    async def _call_set(
        self, start: int, width: int, events: Sequence[ReceivedEvent[Any]], uow: UnitOfWork
    ) -> None:
        """A set handler for a run of items ``start`` to ``start + width`` (duplicates
        inside the run are not passed)."""
        started = time.perf_counter()
        event_type = events[0].envelope.type
        try:
            with (
                structlog.contextvars.bound_contextvars(event_type=event_type, events=len(events)),
                event_set_span(events) as span,
            ):
                if span.is_recording():  # which consumer group ran it, as per-event spans say
                    span.set_attribute("messaging.consumer.group.name", self._group_id)
                await self._set_handlers[event_type](events, uow)
        except Exception as error:
            if classify(error) is FailureKind.INFRASTRUCTURE:
                raise
            raise _HandlerFailed(start, error, width) from error
        finally:
            HANDLER_SECONDS.labels(self._service, events[0].topic).observe(
                time.perf_counter() - started
            )

    async def _call(self, index: int, event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
        started = time.perf_counter()
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
                await self._batch_handlers[event.envelope.type](event, uow)
        except Exception as error:
            if classify(error) is FailureKind.INFRASTRUCTURE:
                raise  # the whole batch waits for the database or broker
            raise _HandlerFailed(index, error) from error
        finally:
            HANDLER_SECONDS.labels(self._service, event.topic).observe(
                time.perf_counter() - started
            )

    async def _isolate(self, item: Item, first_error: Exception) -> None:
        """Retry one failing event alone, with backoff; dead-letter it when hopeless."""
        record, event = item
        error: Exception = first_error
        attempt = 1
        transient_failures = 0
        while True:
            dead, transient_failures = self._judge_failure(
                event, error, attempt, transient_failures
            )
            if dead is not None:
                await self._dead_letter(record, dead)
                self._count(record, event.envelope.type, "dead_lettered")
                return
            await self._pause(attempt)
            attempt += 1
            failure = await self._with_infra_retry(functools.partial(self._apply, [item]))
            if failure is None:
                return
            error = failure.error

    def _count(
        self, record: ConsumerRecord[Any, Any], event_type: str | None, outcome: str
    ) -> None:
        EVENTS_CONSUMED.labels(self._service, record.topic, event_type or "unknown", outcome).inc()
        if self._per_tenant_metrics:
            tenant = header(record, "ce_tenantid") or "unknown"
            TENANT_EVENTS_CONSUMED.labels(self._service, tenant, outcome).inc()
