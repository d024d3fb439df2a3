"""Benchmark of agora-core on PostgreSQL against raw baselines measured in the same run.

    python -m bench.core_messaging [--quick] [--events N] [--kafka HOST:PORT]
        [--postgres ADMIN_DSN] [--out DIR]        (make bench-core ARGS=--quick)

On the same Kafka broker and PostgreSQL server, in a throwaway database:

1. consumer pipeline: N events pre-produced to a 6-partition topic, consumed by a
   ``BatchEventConsumer`` whose handler inserts one row per event, from assignment
   until every batch is committed (rows, marks, offsets); beside raw aiokafka
   consumption of the same records (``getmany``, no processing) and a raw batched
   insert of the same rows (``INSERT … SELECT FROM unnest`` by 500);
2. outbox relay: N outbox rows written by units of work of 500, then
   ``PostgresOutboxRelay.flush()``; beside raw pipelined aiokafka produce of the same
   records (idempotent, acks=all, the broker's linger);
3. commit cost per event of a unit of work (processed marks + one row + one outbox
   row per event) for batches of 1, 10, 100 and 500 events;
4. drivers: that unit of work of 500 with psycopg 3 and with asyncpg (same SQL), and
   single-row insert latency with each.

Prints tables and writes ``bench/reports/core_messaging.json`` and ``.png`` (with
``--quick``: ``core_messaging-quick.*``, not committed).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import os
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import asyncpg
import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from psycopg.conninfo import conninfo_to_dict
from pydantic import Field
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from agora_contracts.events import EventPayload, EventRegistry, EventSpec
from agora_core.messaging.batch_consumer import BatchEventConsumer, by_tenant
from agora_core.messaging.events import OutgoingEvent, ReceivedEvent
from agora_core.messaging.group_member import RetryPolicy
from agora_core.messaging.kafka_connection import create_broker
from agora_core.messaging.publisher import EventPublisher
from agora_core.postgres import Database, UnitOfWork
from agora_core.postgres.migrations import Migrations
from agora_core.postgres.outbox_relay import PostgresOutboxRelay
from agora_core.postgres.pool import connection_options
from agora_core.postgres.processed import _MARK, mark_processed
from agora_core.postgres.unit_of_work import (
    _INSERT_OUTBOX,
    OUTBOX_CHANNEL,
    TENANT_SETTING,
    outbox_columns,
)
from agora_core.testing.postgres import (
    create_test_database,
    drop_test_database,
    ensure_test_role,
    migrated_database,
)
from bench import SMOKE_HELP, add_infrastructure_arguments, reports_dir
from bench import core_messaging_report as report_
from bench.platform_report import summary

REPORTS = reports_dir()
MIGRATIONS: Final = Migrations(Path(__file__).resolve().parent / "core_messaging_migrations")
PARTITIONS: Final = 6
RAW_INSERT_BATCH: Final = 500
TENANT: Final = "bench"
GROUP: Final = "bench-core"
# A wide table when piped (CI logs, tee): rich assumes 80 columns otherwise.
console = Console(width=None if sys.stdout.isatty() else 150)

INSERT_ONE: Final = (
    "INSERT INTO progress (tenant_id, event_id, learner_id, item_id, percent) "
    "VALUES (%s, %s, %s, %s, %s)"
)
INSERT_MANY: Final = """
INSERT INTO progress (tenant_id, event_id, learner_id, item_id, percent)
SELECT * FROM unnest(%b::text[], %b::text[]::uuid[], %b::text[], %b::text[], %b::int4[])
"""


class ItemProgressed(EventPayload):
    """A learner's progress on an item (benchmark payload of realistic size)."""

    item_id: str = Field(description="Item.", examples=["item-1"])
    learner_id: str = Field(description="Learner.", examples=["user-1"])
    percent: int = Field(description="Progress.", examples=[40], ge=0, le=100)
    position: str = Field(description="Last position.", examples=["chapter-3/page-2"])


@dataclasses.dataclass(frozen=True)
class Names:
    """This run's topics and event type (unique, so runs never see each other's records)."""

    unique: str

    @property
    def topic(self) -> str:
        return f"agora.{self.unique}.progress.v1"

    @property
    def relayed_topic(self) -> str:
        return f"agora.{self.unique}.relayed.v1"

    @property
    def event_type(self) -> str:
        return f"org.agora.{self.unique}.item.progressed.v1"

    def registry(self) -> EventRegistry:
        registry = EventRegistry()
        registry.register(
            EventSpec(self.event_type, self.topic, ItemProgressed, "learner_id", "progress")
        )
        return registry


@dataclasses.dataclass(frozen=True)
class Batch:
    """Events and the rows their handler writes, as the column arrays of ``unnest``."""

    events: list[OutgoingEvent]
    payloads: list[ItemProgressed]

    def columns(self) -> tuple[list[str], list[str], list[str], list[str], list[int]]:
        return (
            [TENANT] * len(self.events),
            [e.event_id for e in self.events],
            [p.learner_id for p in self.payloads],
            [p.item_id for p in self.payloads],
            [p.percent for p in self.payloads],
        )

    def marks(self, event_type: str) -> list[tuple[str, str, str]]:
        return [(TENANT, e.event_id, event_type) for e in self.events]

    def slices(self, size: int) -> list[Batch]:
        return [
            Batch(self.events[i : i + size], self.payloads[i : i + size])
            for i in range(0, len(self.events), size)
        ]


def make_batch(names: Names, registry: EventRegistry, count: int) -> Batch:
    payloads = [
        ItemProgressed(
            item_id=f"item-{i % 997}",
            learner_id=f"user-{i % 10_000}",
            percent=i % 101,
            position=f"chapter-{i % 12}/page-{i % 40}",
        )
        for i in range(count)
    ]
    events = [
        OutgoingEvent.create(
            p,
            source="/agora/bench",
            subject=p.learner_id,
            tenant_id=TENANT,
            actor_id=p.learner_id,
            registry=registry,
        )
        for p in payloads
    ]
    return Batch(events, payloads)


def elsewhere(events: Sequence[OutgoingEvent], topic: str) -> list[OutgoingEvent]:
    """The same events bound for another topic (what a handler's outbox would hold)."""
    return [dataclasses.replace(e, topic=topic) for e in events]


class Phases:
    """One progress bar per phase; callers tick it from outside the timed work."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def start(self, label: str, total: int) -> TaskID:
        return self.progress.add_task(label, total=total)

    def done(self, task: TaskID, note: str) -> None:
        total = self.progress.tasks[task].total
        self.progress.update(task, completed=total, description=note)


async def create_topics(kafka: str, topics: Sequence[str]) -> None:
    """Explicitly (clients never rely on auto-creation): 6 partitions each."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in topics]
        )
    finally:
        await admin.close()


async def delete_topics(kafka: str, topics: Sequence[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        await admin.delete_topics(list(topics))
    except Exception as error:  # cleanup only; the run's figures stand
        console.log(f"[yellow]could not delete the bench topics: {error!r}")
    finally:
        await admin.close()


async def raw_produce(kafka: str, events: Sequence[OutgoingEvent]) -> float:
    """Seconds to send every record, then wait for every acknowledgement."""
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,  # agora_core.messaging.publisher.create_broker's linger
        request_timeout_ms=15_000,
    )
    await producer.start()
    try:
        # The topic's metadata before the clock starts: the baseline is the best case.
        await producer.partitions_for(events[0].topic)
        started = time.perf_counter()
        futures = [
            await producer.send(
                e.topic,
                e.value,
                key=e.key.encode(),
                headers=[(k, v.encode()) for k, v in e.headers.items()],
            )
            for e in events
        ]
        await asyncio.gather(*futures)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def raw_consume(kafka: str, topic: str, count: int) -> float:
    """Seconds to read ``count`` records of ``topic`` from the start (no group to join)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
        started = time.perf_counter()
        seen = 0
        while seen < count:
            batch = await consumer.getmany(timeout_ms=1000, max_records=500)
            seen += sum(len(records) for records in batch.values())
        return time.perf_counter() - started
    finally:
        await consumer.stop()


async def truncate(database: Database) -> None:
    async with database.pool.connection() as connection:
        await connection.execute("TRUNCATE progress, processed_events, outbox")


async def count_rows(database: Database) -> int:
    async with database.unit_of_work(TENANT) as uow:
        cursor = await uow.connection.execute("SELECT count(*) FROM progress")
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def raw_insert(database: Database, batch: Batch) -> float:
    """Seconds to insert the rows by 500, one transaction each (plain psycopg)."""
    async with database.pool.connection() as connection:
        started = time.perf_counter()
        for part in batch.slices(RAW_INSERT_BATCH):
            async with connection.transaction():
                # The table's row-level security wants a tenant, as in every transaction.
                await connection.execute(
                    "SELECT set_config(%s, %s, true)", (TENANT_SETTING, TENANT)
                )
                await connection.execute(INSERT_MANY, part.columns())
        return time.perf_counter() - started


async def record_progress(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
    """The benchmark's handler: one row per event, through the batch's unit of work."""
    payload: ItemProgressed = event.payload
    await uow.connection.execute(
        INSERT_ONE,
        (event.tenant_id, event.event_id, payload.learner_id, payload.item_id, payload.percent),
    )


async def record_all_progress(events: Sequence[ReceivedEvent[Any]], uow: UnitOfWork) -> None:
    """The set handler: the run's rows in one statement per tenant."""
    for tenant, own in by_tenant(events):
        await uow.set_tenant(tenant)
        payloads: list[ItemProgressed] = [e.payload for e in own]
        await uow.connection.execute(
            INSERT_MANY,
            (
                [tenant] * len(own),
                [e.event_id for e in own],
                [p.learner_id for p in payloads],
                [p.item_id for p in payloads],
                [p.percent for p in payloads],
            ),
        )


async def consumer_pipeline(
    kafka: str,
    names: Names,
    database: Database,
    count: int,
    phases: Phases,
    *,
    set_based: bool = False,
) -> float:
    """Seconds from partition assignment until every batch is committed (rows and offsets)."""
    handled = 0
    first_call: float | None = None

    async def counted(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
        nonlocal handled, first_call
        if first_call is None:
            first_call = time.perf_counter()
        await record_progress(event, uow)
        handled += 1

    async def counted_all(events: Sequence[ReceivedEvent[Any]], uow: UnitOfWork) -> None:
        nonlocal handled, first_call
        if first_call is None:
            first_call = time.perf_counter()
        await record_all_progress(events, uow)
        handled += len(events)

    kind = "set handler" if set_based else "handler per event"

    broker = create_broker(kafka, client_id=f"bench-{names.unique}")
    consumer = BatchEventConsumer(
        broker,
        service="bench",
        group_id=f"{GROUP}-{names.unique}-{'set' if set_based else 'each'}",
        topics=[names.topic],
        handlers={} if set_based else {names.event_type: counted},
        set_handlers={names.event_type: counted_all} if set_based else None,
        registry=names.registry(),
        database=database,
        publisher=EventPublisher(broker, service="bench"),
        retry=RetryPolicy(),
    )
    task = phases.start(f"consumer pipeline, {kind} (joining the group)", count)
    await broker.start()
    try:
        # Our own 2 ms poll: the consumer starts fetching the moment it is assigned.
        deadline = time.monotonic() + 60
        while not consumer.assignment:
            if time.monotonic() > deadline:
                raise TimeoutError("no partitions assigned in 60 s")
            await asyncio.sleep(0.002)
        assigned = time.perf_counter()
        phases.progress.update(task, description=f"consumer pipeline, {kind}")
        while handled < count:
            phases.progress.update(task, completed=handled)
            await asyncio.sleep(0.02)
        await consumer.drain()  # the last batch's transaction and offsets
        finished = time.perf_counter()
    finally:
        await broker.stop()
    started = min(assigned, first_call or assigned)
    seconds = finished - started
    phases.done(task, f"consumer pipeline, {kind}: {report_.rate(count, seconds):,.0f} events/s")
    rows = await count_rows(database)
    if rows != count:
        raise RuntimeError(f"the pipeline wrote {rows} rows for {count} events")
    return seconds


async def write_outbox(database: Database, events: Sequence[OutgoingEvent]) -> float:
    """Seconds to write ``events`` as outbox rows, units of work of 500."""
    started = time.perf_counter()
    for i in range(0, len(events), 500):
        async with database.unit_of_work(TENANT) as uow:
            uow.add_events(events[i : i + 500])
    return time.perf_counter() - started


async def relay_flush(kafka: str, names: Names, database: Database, count: int) -> float:
    """Seconds for ``PostgresOutboxRelay.flush()`` to publish every outbox row."""
    broker = create_broker(kafka, client_id=f"bench-relay-{names.unique}")
    await broker.start()
    try:
        relay = PostgresOutboxRelay(
            database.pool,
            EventPublisher(broker, service="bench"),
            service="bench",
            listen_dsn=None,
            batch_size=500,
        )
        started = time.perf_counter()
        published = await relay.flush()
        seconds = time.perf_counter() - started
    finally:
        await broker.stop()
    if published != count:
        raise RuntimeError(f"the relay published {published} of {count} rows")
    return seconds


async def unit_of_work_batch(
    uow: UnitOfWork, batch: Batch, event_type: str, outgoing: Sequence[OutgoingEvent]
) -> None:
    """A consumer's unit of work for one batch: marks, a row and an outbox row per event."""
    await mark_processed(uow, GROUP, batch.marks(event_type))
    await uow.connection.execute(INSERT_MANY, batch.columns())
    uow.add_events(outgoing)


def events_per_size(size: int, base: int) -> int:
    """Events run at one batch size: ``base``, and at least ten batches of the largest."""
    return max(base, 10 * size)


async def commit_costs(
    database: Database, names: Names, base: int, sizes: Sequence[int], phases: Phases
) -> list[dict[str, float]]:
    """One row per batch size, each on fresh events (no mark is ever a duplicate)."""
    rows: list[dict[str, float]] = []
    registry = names.registry()
    for size in sizes:
        count = events_per_size(size, base)
        batch = make_batch(names, registry, count)
        parts = [(p, elsewhere(p.events, names.relayed_topic)) for p in batch.slices(size)]
        task = phases.start(f"unit of work, batches of {size}", count)
        started = time.perf_counter()
        for done, (part, outgoing) in enumerate(parts, 1):
            async with database.unit_of_work(TENANT) as uow:
                await unit_of_work_batch(uow, part, names.event_type, outgoing)
            if done % max(1, 50 // size) == 0:
                phases.progress.update(task, completed=done * size)
        seconds = time.perf_counter() - started
        row = report_.commit_cost(size, count, seconds)
        phases.done(task, f"batches of {size}: {row['us_per_event']:,.0f} µs per event")
        rows.append(row)
        await truncate(database)
    return rows


def dollar_params(query: str) -> str:
    """psycopg's ``%s``/``%b`` placeholders as asyncpg's ``$1, $2…`` (the very same SQL)."""
    counter = iter(range(1, 1000))
    return re.sub(r"%[sb]", lambda _: f"${next(counter)}", query)


ASYNCPG_MARK: Final = dollar_params(_MARK)
ASYNCPG_OUTBOX: Final = dollar_params(_INSERT_OUTBOX)
ASYNCPG_INSERT_MANY: Final = dollar_params(INSERT_MANY)
ASYNCPG_INSERT_ONE: Final = dollar_params(INSERT_ONE)


async def asyncpg_unit_of_work(
    connection: Any, event_type: str, part: tuple[Batch, Sequence[OutgoingEvent]]
) -> None:
    """The unit of work of :func:`unit_of_work_batch`, statement for statement, on asyncpg."""
    batch, outgoing = part
    async with connection.transaction():
        await connection.execute("SELECT set_config($1, $2, true)", TENANT_SETTING, TENANT)
        tenants, ids, types = (list(c) for c in zip(*batch.marks(event_type), strict=True))
        await connection.fetch(ASYNCPG_MARK, GROUP, tenants, ids, types)
        await connection.execute(ASYNCPG_INSERT_MANY, *batch.columns())
        await connection.execute(ASYNCPG_OUTBOX, *outbox_columns(outgoing))
        await connection.execute("SELECT pg_notify($1, '')", OUTBOX_CHANNEL)


async def asyncpg_connect(dsn: str, **options: Any) -> Any:
    """An asyncpg connection to a libpq conninfo DSN (asyncpg reads only URLs)."""
    params = conninfo_to_dict(dsn)
    return await asyncpg.connect(
        host=params.get("host"),
        port=int(params.get("port") or 5432),
        user=params.get("user"),
        password=params.get("password"),
        database=params.get("dbname"),
        **options,
    )


@asynccontextmanager
async def psycopg_connection(dsn: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    """One connection with the pool's options (autocommit, no prepared statements)."""
    options = connection_options(application_name="bench-core-psycopg")
    async with await psycopg.AsyncConnection.connect(dsn, **options) as connection:
        yield connection


async def psycopg_unit_of_work(
    connection: psycopg.AsyncConnection[Any],
    event_type: str,
    part: tuple[Batch, Sequence[OutgoingEvent]],
) -> None:
    """:func:`unit_of_work_batch` through agora-core's ``UnitOfWork`` on one connection."""
    batch, outgoing = part
    async with connection.transaction():
        uow = UnitOfWork(connection)
        await uow.set_tenant(TENANT)
        await unit_of_work_batch(uow, batch, event_type, outgoing)
        await uow.write_outbox()


async def interleaved(
    runs: dict[str, tuple[Callable[[Any], Awaitable[Any]], Sequence[Any]]],
) -> dict[str, list[float]]:
    """Seconds of each call, the drivers taking turns call by call.

    Taking turns spreads a shared machine's load spikes over every driver alike,
    instead of landing on whichever happened to run at that moment.
    """
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    rounds = min(len(items) for _, items in runs.values())
    for i in range(rounds):
        for name, (call, items) in runs.items():
            started = time.perf_counter()
            await call(items[i])
            seconds[name].append(time.perf_counter() - started)
    return seconds


async def drivers(
    database: Database, dsn: str, names: Names, batch: Batch, singles: int, phases: Phases
) -> dict[str, Any]:
    """The batch-of-500 unit of work and single-row inserts, psycopg 3 and asyncpg."""
    size = 500
    labels = (report_.PSYCOPG, report_.ASYNCPG, report_.ASYNCPG_NO_CACHE)
    share = len(batch.events) // len(labels)
    subsets = {
        name: Batch(
            batch.events[n * share : (n + 1) * share], batch.payloads[n * share : (n + 1) * share]
        )
        for n, name in enumerate(labels)
    }
    parts = {
        name: [(p, elsewhere(p.events, names.relayed_topic)) for p in subset.slices(size)]
        for name, subset in subsets.items()
    }
    task = phases.start(f"drivers: units of work of {size}, then single inserts", 2)
    pg = await psycopg.AsyncConnection.connect(
        dsn, **connection_options(application_name="bench-core-psycopg")
    )
    cached = await asyncpg_connect(dsn)
    uncached = await asyncpg_connect(dsn, statement_cache_size=0)
    try:
        batch_seconds = await interleaved(
            {
                report_.PSYCOPG: (
                    functools.partial(psycopg_unit_of_work, pg, names.event_type),
                    parts[report_.PSYCOPG],
                ),
                report_.ASYNCPG: (
                    functools.partial(asyncpg_unit_of_work, cached, names.event_type),
                    parts[report_.ASYNCPG],
                ),
                report_.ASYNCPG_NO_CACHE: (
                    functools.partial(asyncpg_unit_of_work, uncached, names.event_type),
                    parts[report_.ASYNCPG_NO_CACHE],
                ),
            }
        )
        phases.progress.advance(task)
        await truncate(database)
        # A session-level tenant: these connections serve nothing else.
        await pg.execute("SELECT set_config(%s, %s, false)", (TENANT_SETTING, TENANT))
        await cached.execute("SELECT set_config($1, $2, false)", TENANT_SETTING, TENANT)

        async def psycopg_insert(row: tuple[Any, ...]) -> None:
            await pg.execute(INSERT_ONE, row)

        async def asyncpg_insert(row: tuple[Any, ...]) -> None:
            await cached.execute(ASYNCPG_INSERT_ONE, *row)

        rows = {
            name: list(zip(*subsets[name].columns(), strict=True))[:singles]
            for name in (report_.PSYCOPG, report_.ASYNCPG)
        }
        single_seconds = await interleaved(
            {
                report_.PSYCOPG: (psycopg_insert, rows[report_.PSYCOPG]),
                report_.ASYNCPG: (asyncpg_insert, rows[report_.ASYNCPG]),
            }
        )
    finally:
        await pg.close()
        await cached.close()
        await uncached.close()
    await truncate(database)
    phases.done(task, "drivers")
    per_batch = {name: len(times) * size for name, times in batch_seconds.items()}
    return {
        "batch": size,
        "events_per_driver": min(per_batch.values()),
        "events_per_s": {
            name: round(report_.rate(per_batch[name], sum(times)), 1)
            for name, times in batch_seconds.items()
        },
        "single_insert_ms": {
            name: summary([t * 1000 for t in times]) for name, times in single_seconds.items()
        },
        "single_inserts": min(len(t) for t in single_seconds.values()),
    }


async def server_version(dsn: str) -> str:
    async with psycopg_connection(dsn) as connection:
        cursor = await connection.execute("SHOW server_version")
        row = await cursor.fetchone()
    return str(row[0]) if row else "?"


async def run(args: argparse.Namespace) -> report_.Report:
    names = Names(f"b{uuid.uuid4().hex[:8]}")
    count: int = args.events
    registry = names.registry()
    started = datetime.now(UTC)
    console.log(f"generating {count:,} events")
    batch = make_batch(names, registry, count)
    await ensure_test_role(args.postgres)
    db_name, dsn = await create_test_database(args.postgres, prefix="bench_core")
    await create_topics(args.kafka, [names.topic, names.relayed_topic])
    results: report_.Report = {}
    try:
        async with migrated_database(dsn, MIGRATIONS, max_size=4) as database:
            results = await measure(args, names, batch, database, dsn)
    finally:
        await drop_test_database(args.postgres, db_name)
        await delete_topics(args.kafka, [names.topic, names.relayed_topic])
    results["meta"]["started"] = started.strftime("%Y-%m-%d %H:%M UTC")
    results["meta"]["seconds"] = round((datetime.now(UTC) - started).total_seconds(), 1)
    return results


async def measure(
    args: argparse.Namespace, names: Names, batch: Batch, database: Database, dsn: str
) -> report_.Report:
    """Every phase, in order, on the migrated database; the report without its times."""
    count: int = args.events
    registry = names.registry()
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        phases = Phases(progress)

        task = phases.start("raw pipelined produce (pre-produces the topic)", count)
        produce_s = await raw_produce(args.kafka, batch.events)
        phases.done(task, f"raw produce: {report_.rate(count, produce_s):,.0f}/s")

        task = phases.start("raw aiokafka consume", count)
        consume_s = await raw_consume(args.kafka, names.topic, count)
        phases.done(task, f"raw consume: {report_.rate(count, consume_s):,.0f}/s")

        task = phases.start("raw batched insert (500)", count)
        insert_s = await raw_insert(database, batch)
        phases.done(task, f"raw insert: {report_.rate(count, insert_s):,.0f} rows/s")
        await truncate(database)

        pipeline_s = await consumer_pipeline(args.kafka, names, database, count, phases)
        await truncate(database)
        set_pipeline_s = await consumer_pipeline(
            args.kafka, names, database, count, phases, set_based=True
        )
        await truncate(database)

        relayed = elsewhere(batch.events, names.relayed_topic)
        task = phases.start("outbox rows written (units of work of 500)", count)
        write_s = await write_outbox(database, relayed)
        phases.done(task, f"outbox written: {report_.rate(count, write_s):,.0f} rows/s")
        task = phases.start("outbox relay flush", count)
        relay_s = await relay_flush(args.kafka, names, database, count)
        phases.done(task, f"outbox relay: {report_.rate(count, relay_s):,.0f} rows/s")
        await truncate(database)

        costs = await commit_costs(database, names, args.uow_events, report_.BATCH_SIZES, phases)
        driver_results = await drivers(
            database, dsn, names, make_batch(names, registry, args.driver_events),
            args.singles, phases,
        )  # fmt: skip
    return {
        "meta": {
            "events": count,
            "quick": args.quick,
            "partitions": PARTITIONS,
            "cpus": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "postgres": await server_version(dsn),
            "uow_events_per_size": {
                str(size): events_per_size(size, args.uow_events) for size in report_.BATCH_SIZES
            },
        },
        "baselines": {
            "raw_produce_per_s": round(report_.rate(count, produce_s), 1),
            "raw_consume_per_s": round(report_.rate(count, consume_s), 1),
            "raw_insert_per_s": round(report_.rate(count, insert_s), 1),
        },
        "pipeline": {
            "events": count,
            "seconds": round(pipeline_s, 3),
            "events_per_s": round(report_.rate(count, pipeline_s), 1),
        },
        "pipeline_set": {
            "events": count,
            "seconds": round(set_pipeline_s, 3),
            "events_per_s": round(report_.rate(count, set_pipeline_s), 1),
        },
        "relay": {
            "rows": count,
            "seconds": round(relay_s, 3),
            "rows_per_s": round(report_.rate(count, relay_s), 1),
            "outbox_write_per_s": round(report_.rate(count, write_s), 1),
        },
        "commit_cost": costs,
        "drivers": driver_results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="CI size: 5,000 events")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    parser.add_argument("--events", type=int, help="events per phase (default 50,000)")
    add_infrastructure_arguments(parser)
    parser.add_argument("--out", type=Path, default=REPORTS, help="where the reports go")
    args = parser.parse_args()
    if args.smoke:
        args.quick = True
        args.events = args.events or 500
    if args.events is None:
        args.events = 5_000 if args.quick else 50_000
    # Batch 1 runs at about 1 ms per event: its share bounds the run's length.
    args.uow_events = 100 if args.smoke else 1_000 if args.quick else 5_000
    args.driver_events = 3 * (100 if args.smoke else 5_000 if args.quick else 20_000)
    args.singles = 30 if args.smoke else 300 if args.quick else 2_000
    report = asyncio.run(run(args))
    report_.print_tables(report, console)
    # A --quick run (CI) never replaces the committed full-size report.
    stem = "core_messaging-quick" if args.quick else "core_messaging"
    report_.write_json(report, args.out / f"{stem}.json")
    report_.write_chart(report, args.out / f"{stem}.png")
    console.print(f"report: {args.out / stem}.json, chart: {stem}.png")


if __name__ == "__main__":
    main()
