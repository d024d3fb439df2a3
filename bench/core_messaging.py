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
import os
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from aiokafka import TopicPartition
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from agora_core.messaging.batch_consumer import BatchEventConsumer, by_tenant
from agora_core.messaging.events import OutgoingEvent, ReceivedEvent
from agora_core.messaging.group_member import RetryPolicy
from agora_core.messaging.kafka_connection import create_broker
from agora_core.messaging.publisher import EventPublisher
from agora_core.postgres import Database, UnitOfWork
from agora_core.postgres.migrations import Migrations
from agora_core.postgres.outbox_relay import PostgresOutboxRelay
from agora_core.testing.postgres import (
    create_test_database,
    drop_test_database,
    ensure_test_role,
    migrated_database,
)
from bench import SMOKE_HELP, add_infrastructure_arguments, reports_dir
from bench import core_messaging_report as report_
from bench.core_messaging_parts.baselines import create_topics, delete_topics, raw_insert
from bench.core_messaging_parts.drivers import (
    drivers,
    server_version,
)
from bench.core_messaging_parts.workload import (
    GROUP,
    INSERT_MANY,
    INSERT_ONE,
    PARTITIONS,
    TENANT,
    Batch,
    ItemProgressed,
    Names,
    Phases,
    console,
    count_rows,
    elsewhere,
    make_batch,
    truncate,
    unit_of_work_batch,
)
from bench.processes.kafka import raw_consume, send_all

REPORTS = reports_dir()
MIGRATIONS: Final = Migrations(Path(__file__).resolve().parent / "core_messaging_migrations")


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
            listener=None,
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
        produce_s = await send_all(args.kafka, batch.events)
        phases.done(task, f"raw produce: {report_.rate(count, produce_s):,.0f}/s")

        task = phases.start("raw aiokafka consume", count)
        consume_s = await raw_consume(
            args.kafka, {TopicPartition(names.topic, p): 0 for p in range(PARTITIONS)}, count
        )
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
