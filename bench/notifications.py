"""Benchmark of the notifications service against raw aiokafka consumption, same run.

    python bench/notifications.py [--events N] [--quick] [--kafka HOST:PORT] [--postgres DSN]

Starts the notifications service in-process (real gRPC server, consumer, outbox relay,
delivery worker) on the broker and database given by AGORA_TEST_KAFKA and
AGORA_TEST_POSTGRES_DSN (a fresh database of the run's own), then measures:

- inbox: N ``badge.awarded`` events published at once → notifications per second
  until all N are stored in the inbox (each with its ``notification.delivered`` outbox
  row in the consumer batch's transaction);
- latency: events published at a steady pace (not a burst) → p50/p99 of the time from
  publishing the event to its notification being written;
- webhooks: N ``like.added`` events (no person is notified of likes) matched by one
  subscription → deliveries per second until a local aiohttp receiver got all N,
  signed and acknowledged;
- baseline: raw aiokafka consumption (no group, no processing) of the same N events.

Prints a table and writes ``bench/reports/notifications.json`` and ``.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc.aio
import psycopg
from aiohttp import web
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from agora.notifications.v1 import notifications_pb2 as pb
from agora.notifications.v1.notifications_pb2_grpc import NotificationsServiceStub
from agora_contracts.events.domains import community, gamification
from agora_contracts.events.schemas import load_platform_events
from agora_core.grpc.client import bearer_metadata
from agora_core.grpc.dev_tokens import mint_dev_token
from agora_core.logging import configure_logging
from agora_core.messaging.events import OutgoingEvent
from agora_core.messaging.kafka_connection import create_broker
from agora_core.messaging.publisher import EventPublisher
from agora_core.settings import load_settings
from agora_core.testing.event_tap import start_group_at_end
from agora_core.testing.postgres import (
    create_test_database,
    drop_test_database,
    dsn_for_database,
    ensure_test_role,
)
from agora_notifications.bootstrap import build
from agora_notifications.domain.model import notification_id
from agora_notifications.settings import NotificationsSettings
from bench import SMOKE_HELP, add_infrastructure_arguments, report_stem, reports_dir
from bench.processes.kafka import end_offsets, raw_consume
from bench.ratio_report import Pair, write_ratio_chart

SECRET = "bench-dev-secret-of-at-least-thirty-two-bytes"  # noqa: S105 - local dev token
console = Console()


def badge_events(tenant: str, count: int, tag: str) -> list[OutgoingEvent]:
    now = datetime.now(UTC)
    return [
        OutgoingEvent.create(
            gamification.BadgeAwardedV1(
                award_id=f"aw-{tag}-{i}",
                badge_id="b-bench",
                badge_name="Benchmark badge",
                learner_id=f"u-{i % 500}",
                image_url="https://example.org/b.png",
                awarded_at=now,
            ),
            source="/agora/gamification",
            subject=f"aw-{tag}-{i}",
            tenant_id=tenant,
        )
        for i in range(count)
    ]


def like_events(tenant: str, count: int) -> list[OutgoingEvent]:
    now = datetime.now(UTC)
    return [
        OutgoingEvent.create(
            community.LikeAddedV1(
                like_id=f"l-{i}",
                target_type="knowledge",
                target_id=f"k-{i % 97}",
                liker_id=f"u-{i % 500}",
                liked_at=now,
            ),
            source="/agora/community",
            subject=f"k-{i % 97}",
            tenant_id=tenant,
        )
        for i in range(count)
    ]


async def publish(kafka: str, events: list[OutgoingEvent]) -> None:
    broker = create_broker(kafka, client_id="agora-bench")
    await broker.start()
    try:
        await EventPublisher(broker, service="bench").publish_many(events)
    finally:
        await broker.stop()


async def wait_until(count_now: Any, target: int, label: str) -> float:
    """Seconds until ``count_now()`` reaches ``target`` (polled, with a progress bar)."""
    began = time.perf_counter()
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(label, total=target)
        while True:
            done = await count_now()
            progress.update(task, completed=done)
            if done >= target:
                return time.perf_counter() - began
            await asyncio.sleep(0.5)  # poll gently, not to slow the service


async def inbox_times(
    connection: psycopg.AsyncConnection[tuple[str, datetime]], tenant: str, ids: list[str]
) -> dict[str, datetime]:
    """Which of ``ids`` are in the inbox, and when each was stored."""
    cursor = await connection.execute(
        "SELECT notification_id, create_time FROM notifications"
        " WHERE tenant_id = %s AND notification_id = ANY(%s)",
        (tenant, ids),
    )
    return {row[0]: row[1] for row in await cursor.fetchall()}


async def run(
    events: int, paced: int, kafka: str, postgres: str, outbox_poll_ms: int
) -> dict[str, float]:
    run_id = uuid.uuid4().hex[:8]
    await ensure_test_role(postgres)
    postgres_name, postgres_dsn = await create_test_database(postgres, prefix="bench_notif")
    group = f"agora-notifications-bench-{run_id}"
    tenant = f"bench-{run_id}"
    registry = load_platform_events()
    await start_group_at_end(kafka, group, registry.topics())

    received: list[float] = []

    async def receive(request: web.Request) -> web.Response:
        await request.read()
        received.append(time.perf_counter())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    receiver_port = int(runner.addresses[0][1])

    settings = load_settings(
        NotificationsSettings,
        kafka_bootstrap_servers=kafka,
        postgres_dsn=postgres_dsn,
        postgres_migrate_on_start=True,
        consumer_group=group,
        grpc_port=0,
        http_port=0,
        public_port=0,
        dev_mode=True,
        jwt_hs256_secret=SECRET,
        log_level="WARNING",
        webhook_allow_private_addresses=True,
        scheduler_interval_seconds=3600,
        outbox_poll_interval_ms=outbox_poll_ms,
    )
    configure_logging(settings.service_name, settings.log_level)
    runtime = await build(settings)
    # The operator's view (superuser, every tenant) for polling progress.
    admin_db = await psycopg.AsyncConnection.connect(
        dsn_for_database(postgres, postgres_name), autocommit=True
    )
    results: dict[str, float] = {"events": events, "outbox_poll_ms": outbox_poll_ms}
    try:
        await runtime.start()
        for consumer in runtime.consumers:
            await consumer.wait_for_assignment(120)

        # Inbox throughput: a burst of N events.
        badge_topic = registry.spec_for(gamification.BadgeAwardedV1).topic
        start = await end_offsets(kafka, badge_topic)
        burst = badge_events(tenant, events, "burst")
        await publish(kafka, burst)

        # Progress is polled by primary key (deterministic ids).
        pending = {
            notification_id(tenant, e.event_id, e.payload_json()["learner_id"], "badge_awarded")
            for e in burst
        }

        async def stored() -> int:
            pending.difference_update(await inbox_times(admin_db, tenant, list(pending)))
            return events - len(pending)

        elapsed = await wait_until(stored, events, "inbox")
        results["inbox_per_s"] = events / elapsed
        console.log(f"inbox: {events} notifications in {elapsed:.2f} s")
        results["raw_consume_per_s"] = events / await raw_consume(kafka, start, events)

        # Latency at a steady pace (each event alone, so no queueing behind a burst).
        published_at: dict[str, float] = {}
        paced_events = badge_events(tenant, paced, "paced")
        broker = create_broker(kafka, client_id="agora-bench-paced")
        await broker.start()
        publisher = EventPublisher(broker, service="bench")
        try:
            for one in paced_events:
                published_at[one.event_id] = time.time()
                await publisher.publish_many([one])
                await asyncio.sleep(0.02)
        finally:
            await broker.stop()

        paced_ids = {
            notification_id(tenant, e.event_id, e.payload_json()["learner_id"], "badge_awarded"): (
                e.event_id
            )
            for e in paced_events
        }
        created_at: dict[str, datetime] = {}

        async def paced_stored() -> int:
            found = await inbox_times(admin_db, tenant, list(paced_ids))
            for key, time_stored in found.items():
                created_at[paced_ids[key]] = time_stored
            return len(created_at)

        await wait_until(paced_stored, paced, "latency")
        latencies = [
            (created_at[event_id].timestamp() - published_at[event_id]) * 1000
            for event_id in published_at
        ]
        latencies.sort()
        results["latency_p50_ms"] = statistics.median(latencies)
        results["latency_p99_ms"] = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]

        # Webhooks: one subscription to like.added, N likes.
        async with grpc.aio.insecure_channel(f"127.0.0.1:{runtime.grpc_port}") as channel:
            stub = NotificationsServiceStub(channel)
            admin = bearer_metadata(mint_dev_token(SECRET, "u-admin", tenant, ["admin"]))
            await stub.CreateWebhookSubscription(
                pb.CreateWebhookSubscriptionRequest(
                    url=f"http://127.0.0.1:{receiver_port}/hook",
                    event_types=[registry.spec_for(community.LikeAddedV1).event_type],
                ),
                metadata=admin,
            )
        like_topic = registry.spec_for(community.LikeAddedV1).topic
        like_start = await end_offsets(kafka, like_topic)
        likes = like_events(tenant, events)
        began = time.perf_counter()
        await publish(kafka, likes)

        async def hooks() -> int:
            return len(received)

        await wait_until(hooks, events, "webhooks")
        elapsed = time.perf_counter() - began
        results["webhooks_per_s"] = events / elapsed
        console.log(f"webhooks: {events} deliveries in {elapsed:.2f} s")
        results["raw_consume_likes_per_s"] = events / await raw_consume(kafka, like_start, events)
    finally:
        await runtime.stop()
        await runner.cleanup()
        await admin_db.close()
        await drop_test_database(postgres, postgres_name)
    results["inbox_vs_raw_consume"] = results["inbox_per_s"] / results["raw_consume_per_s"]
    results["webhooks_vs_raw_consume"] = (
        results["webhooks_per_s"] / results["raw_consume_likes_per_s"]
    )
    return results


def report(results: dict[str, float], path: Path) -> None:
    table = Table(title=f"notifications service, {int(results['events'])} events")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("baseline", justify="right")
    table.add_column("ratio", justify="right")
    table.add_row("raw aiokafka consume (badges)", f"{results['raw_consume_per_s']:,.0f}/s", "", "")
    table.add_row(
        "events → inbox",
        f"{results['inbox_per_s']:,.0f}/s",
        "raw consume",
        f"{results['inbox_vs_raw_consume']:.3f}x",
    )
    table.add_row(
        "raw aiokafka consume (likes)", f"{results['raw_consume_likes_per_s']:,.0f}/s", "", ""
    )
    table.add_row(
        "events → webhook receiver",
        f"{results['webhooks_per_s']:,.0f}/s",
        "raw consume",
        f"{results['webhooks_vs_raw_consume']:.3f}x",
    )
    table.add_row("event → inbox latency p50", f"{results['latency_p50_ms']:,.0f} ms", "", "")
    table.add_row("event → inbox latency p99", f"{results['latency_p99_ms']:,.0f} ms", "", "")
    console.print(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    write_ratio_chart(
        path.with_suffix(".png"),
        f"notifications on PostgreSQL, {int(results['events'])} events"
        f" (event → inbox p50 {results['latency_p50_ms']:,.0f} ms,"
        f" p99 {results['latency_p99_ms']:,.0f} ms)",
        [
            Pair(
                "events → inbox",
                results["inbox_per_s"],
                "raw consume",
                results["raw_consume_per_s"],
            ),
            Pair(
                "events → webhooks",
                results["webhooks_per_s"],
                "raw consume",
                results["raw_consume_likes_per_s"],
            ),
        ],
        "events per second",
    )
    console.print(f"report: {path} and {path.with_suffix('.png').name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--paced", type=int, default=200, help="events for the latency run")
    parser.add_argument("--quick", action="store_true", help="300 events, 50 paced")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    parser.add_argument(
        "--outbox-poll-ms",
        type=int,
        default=200,
        help="the service's outbox relay idle poll interval",
    )
    add_infrastructure_arguments(parser)
    args = parser.parse_args()
    events, paced = (
        (40, 10) if args.smoke else (300, 50) if args.quick else (args.events, args.paced)
    )
    stem = report_stem("notifications", smoke=args.smoke, quick=args.quick)
    report(
        asyncio.run(run(events, paced, args.kafka, args.postgres, args.outbox_poll_ms)),
        reports_dir() / f"{stem}.json",
    )


if __name__ == "__main__":
    main()
