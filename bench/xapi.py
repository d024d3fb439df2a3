"""Benchmark of the xAPI projection: statements/s beside the same service without it.

    python bench/xapi.py [--events N] [--quick] [--kafka HOST:PORT] [--postgres DSN]

Starts the notifications service in-process twice on the broker and database given
by AGORA_TEST_KAFKA and AGORA_TEST_POSTGRES_DSN, each time on a fresh database and
consumer group, and publishes N ``knowledge.completed`` events (500 learners):

- baseline: xAPI off → events/s until all N are recorded as processed (the service's
  own work on a completion: projections, no notification);
- xAPI on → events/s until all N are processed (each with two more inserts, the
  statement and its outbox row, in the batch's transaction), and statements/s until
  all N statements are on ``agora.xapi.statements.v1`` (the relay's part);
- raw aiokafka consumption of the N statements, for scale.

Prints a table and writes ``bench/reports/xapi.json`` and ``.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from aiokafka import TopicPartition
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from agora_contracts.events.domains import learning
from agora_contracts.events.domains.xapi import STATEMENTS_TOPIC
from agora_contracts.events.schemas import load_platform_events
from agora_core.logging import configure_logging
from agora_core.messaging.events import OutgoingEvent
from agora_core.messaging.kafka_connection import create_broker
from agora_core.messaging.publisher import EventPublisher
from agora_core.settings import load_settings
from agora_core.testing.event_tap import ensure_topics, start_group_at_end
from agora_core.testing.postgres import (
    create_test_database,
    drop_test_database,
    dsn_for_database,
    ensure_test_role,
)
from agora_notifications.bootstrap import build
from agora_notifications.settings import NotificationsSettings
from bench import SMOKE_HELP, add_infrastructure_arguments, report_stem, reports_dir
from bench.processes.kafka import end_offsets, raw_consume
from bench.ratio_report import Pair, write_ratio_chart

SECRET = "bench-dev-secret-of-at-least-thirty-two-bytes"  # noqa: S105 - local dev token
console = Console()


def completions(tenant: str, count: int) -> list[OutgoingEvent]:
    now = datetime.now(UTC)
    return [
        OutgoingEvent.create(
            learning.KnowledgeCompletedV1(
                learner_id=f"u-{i % 500}",
                item_id=f"k-{i}",
                item_type="video",
                item_title=f"Item {i}",
                completed_at=now,
            ),
            source="/agora/catalog",
            subject=f"k-{i}",
            key=f"u-{i % 500}",
            tenant_id=tenant,
        )
        for i in range(count)
    ]


async def records_since(kafka: str, start: dict[TopicPartition, int]) -> int:
    ends = await end_offsets(kafka, next(iter(start)).topic)
    return sum(ends[tp] - offset for tp, offset in start.items())


async def wait_until(count_now: Callable[[], Awaitable[int]], target: int, label: str) -> None:
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(label, total=target)
        while (done := await count_now()) < target:
            progress.update(task, completed=done)
            # poll gently, not to slow the service
            await asyncio.sleep(1.0)


async def count(connection: psycopg.AsyncConnection[tuple[int]], table: str) -> int:
    cursor = await connection.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - ours
    row = await cursor.fetchone()
    return 0 if row is None else int(row[0])


async def one_run(
    kafka: str, postgres: str, events: int, *, xapi: bool
) -> tuple[float, float, int]:
    """Events handled per second, statements published per second, statements stored."""
    postgres_name, postgres_dsn = await create_test_database(postgres, prefix="bench_xapi")
    settings = load_settings(
        NotificationsSettings,
        kafka_bootstrap_servers=kafka,
        postgres_dsn=postgres_dsn,
        postgres_migrate_on_start=True,
        consumer_group=f"bench-xapi-{uuid.uuid4().hex[:8]}",
        grpc_port=0,
        http_port=0,
        public_port=0,
        dev_mode=True,
        jwt_hs256_secret=SECRET,
        log_level="WARNING",
        xapi_enabled=xapi,
        outbox_poll_interval_ms=200,
        scheduler_interval_seconds=3600,
    )
    registry = load_platform_events()
    await ensure_topics(kafka, registry.topics())
    await start_group_at_end(kafka, settings.group_id, registry.topics())
    statements_start = await end_offsets(kafka, STATEMENTS_TOPIC)
    # The operator's view (superuser: every tenant's rows) for counting progress.
    admin = await psycopg.AsyncConnection.connect(
        dsn_for_database(postgres, postgres_name), autocommit=True
    )
    runtime = await build(settings)
    await runtime.start()
    try:
        for consumer in runtime.consumers:
            await consumer.wait_for_assignment(120)
        began = time.perf_counter()
        broker = create_broker(kafka, client_id="agora-bench")
        await broker.start()
        try:
            await EventPublisher(broker, service="bench").publish_many(
                completions(f"t-{uuid.uuid4().hex[:6]}", events)
            )
        finally:
            await broker.stop()

        async def processed() -> int:
            return await count(admin, "processed_events")

        async def statements() -> int:
            return await records_since(kafka, statements_start)

        await wait_until(processed, events, "events processed")
        handled = events / (time.perf_counter() - began)
        if not xapi:
            return handled, handled, 0
        await wait_until(statements, events, "statements on the topic")
        published = events / (time.perf_counter() - began)
        stored = await count(admin, "xapi_statements")
        return handled, published, stored
    finally:
        await runtime.stop()
        await admin.close()
        await drop_test_database(postgres, postgres_name)


async def run(events: int, kafka: str, postgres: str) -> dict[str, float]:
    configure_logging("notifications", "WARNING")
    await ensure_test_role(postgres)
    without, _, _ = await one_run(kafka, postgres, events, xapi=False)
    console.log(f"xAPI off: {without:,.1f} events/s handled")
    statements_start = await end_offsets(kafka, STATEMENTS_TOPIC)
    handled, published, stored = await one_run(kafka, postgres, events, xapi=True)
    console.log(f"xAPI on: {handled:,.1f} events/s handled, {published:,.1f} statements/s")
    assert stored == events, f"{stored} statements stored for {events} events"
    raw = events / await raw_consume(kafka, statements_start, events)
    return {
        "events": events,
        "without_xapi_events_per_s": without,
        "with_xapi_events_per_s": handled,
        "with_xapi_statements_per_s": published,
        "handled_with_vs_without": handled / without,
        "published_with_vs_without": published / without,
        "raw_consume_statements_per_s": raw,
    }


def report(results: dict[str, float], path: Path) -> None:
    table = Table(title=f"xAPI projection, {int(results['events'])} completions")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("baseline", justify="right")
    table.add_column("ratio", justify="right")
    table.add_row(
        "notifications, xAPI off (events handled)",
        f"{results['without_xapi_events_per_s']:,.1f}/s",
        "",
        "",
    )
    table.add_row(
        "notifications, xAPI on (events handled)",
        f"{results['with_xapi_events_per_s']:,.1f}/s",
        "xAPI off",
        f"{results['handled_with_vs_without']:.3f}x",
    )
    table.add_row(
        "notifications, xAPI on (statements on the topic)",
        f"{results['with_xapi_statements_per_s']:,.1f}/s",
        "xAPI off",
        f"{results['published_with_vs_without']:.3f}x",
    )
    table.add_row(
        "raw aiokafka consume (statements)",
        f"{results['raw_consume_statements_per_s']:,.0f}/s",
        "",
        "",
    )
    console.print(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    write_ratio_chart(
        path.with_suffix(".png"),
        f"xAPI projection on PostgreSQL, {int(results['events'])} completions",
        [
            Pair(
                "handled, xAPI on",
                results["with_xapi_events_per_s"],
                "xAPI off",
                results["without_xapi_events_per_s"],
            ),
            Pair(
                "statements published",
                results["with_xapi_statements_per_s"],
                "xAPI off",
                results["without_xapi_events_per_s"],
            ),
        ],
        "per second",
    )
    console.print(f"report: {path} and {path.with_suffix('.png').name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="200 events")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    add_infrastructure_arguments(parser)
    args = parser.parse_args()
    events = 30 if args.smoke else 200 if args.quick else args.events
    stem = report_stem("xapi", smoke=args.smoke, quick=args.quick)
    report(asyncio.run(run(events, args.kafka, args.postgres)), reports_dir() / f"{stem}.json")


if __name__ == "__main__":
    main()
