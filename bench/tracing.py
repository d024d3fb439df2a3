"""What tracing costs: a real batch consumer and a gRPC echo, tracing off and on.

    python -m bench.tracing [--quick] [--events N] [--calls N] [--rounds N]
        [--kafka HOST:PORT] [--postgres ADMIN_DSN] [--out DIR]

Modes, measured in the same run, interleaved round by round (the median per mode is
reported, so a burst of load on the shared machine hits every mode alike):

* ``disabled`` — ``OTEL_SDK_DISABLED=true``: OpenTelemetry's no-op API, the floor;
* ``off`` — the default (no exporter): the SDK with the ``always_off`` sampler, every
  call and event still gets a trace id, nothing is recorded;
* ``on_10`` — ``OTEL_TRACES_EXPORTER=otlp`` with ``parentbased_traceidratio`` 0.1,
  exporting over OTLP/HTTP (protobuf) to a real receiver in another process (the
  collector stand-in: ``agora_core.testing.otlp_receiver``);
* ``on_100`` — the same with ``always_on``: every call and event recorded, whatever
  the upstream decided (for scale, not a goal).

1. batch consumer: N events pre-produced with trace contexts of which one in ten is
   sampled (as an upstream service at 10 % would send them), consumed by agora-core's
   ``BatchEventConsumer`` whose handler inserts one row per event through the unit of
   work (a span per event, a span per statement when recorded), from assignment until
   every batch is committed;
2. gRPC echo: M unary calls, 16 at a time, to a server built by ``create_grpc_server``
   (every interceptor: tracing, metrics, error mapping, auth), no incoming context.

The goal (issue 22): at most 5 % throughput lost with tracing on at 10 % against off.
Writes ``bench/reports/tracing.json`` and ``.png`` (``--quick``: ``tracing-quick.*``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import aiohttp
import grpc
import grpc.aio
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ParentBasedTraceIdRatio
from rich.console import Console

from agora_core.grpc.policy import PUBLIC_METHODS, MethodPolicy
from agora_core.grpc.server import ServiceRegistration, create_grpc_server
from agora_core.messaging.batch_consumer import BatchEventConsumer
from agora_core.messaging.events import OutgoingEvent, ReceivedEvent
from agora_core.messaging.group_member import RetryPolicy
from agora_core.messaging.kafka_connection import create_broker
from agora_core.messaging.publisher import EventPublisher
from agora_core.postgres import Database, UnitOfWork
from agora_core.settings import ServiceSettings
from agora_core.testing.postgres import (
    create_test_database,
    drop_test_database,
    ensure_test_role,
    migrated_database,
)
from agora_core.tracing import install, installed, tracer
from agora_core.tracing.setup import TracingSetup, build_provider
from bench import SMOKE_HELP, add_infrastructure_arguments, reports_dir
from bench.core_messaging import MIGRATIONS, record_progress
from bench.core_messaging_parts.baselines import create_topics, delete_topics
from bench.core_messaging_parts.workload import TENANT, ItemProgressed, Names, count_rows, truncate
from bench.processes.kafka import send_all

REPORTS: Final = reports_dir()
MODES: Final = ("disabled", "off", "on_10", "on_100")
ECHO: Final = "/agora.bench.v1.Echo/Echo"
CONCURRENCY: Final = 16
console = Console(width=None if sys.stdout.isatty() else 150)


def mode_environment(mode: str, endpoint: str) -> dict[str, str]:
    """The OTEL_* variables an operator would set for ``mode``."""
    if mode == "disabled":
        return {"OTEL_SDK_DISABLED": "true"}
    if mode == "off":
        return {}
    sampler = (
        {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"}
        if mode == "on_10"
        else {"OTEL_TRACES_SAMPLER": "always_on"}
    )
    return {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, **sampler}


def tracing_for(mode: str, endpoint: str) -> TracingSetup:
    setup = build_provider("bench", mode_environment(mode, endpoint))
    install(setup.provider)  # None (disabled): OpenTelemetry's no-op proxy
    return setup


def seeded_events(names: Names, count: int) -> list[OutgoingEvent]:
    """Events created in root spans sampled at 10 %, as an upstream service sends them."""
    upstream = TracerProvider(sampler=ParentBasedTraceIdRatio(0.1))  # records nothing here
    events = []
    with installed(upstream):
        for i in range(count):
            payload = ItemProgressed(
                item_id=f"item-{i % 997}",
                learner_id=f"user-{i % 10_000}",
                percent=i % 101,
                position=f"chapter-{i % 12}/page-{i % 40}",
            )
            with tracer().start_as_current_span("upstream call"):
                events.append(
                    OutgoingEvent.create(
                        payload,
                        source="/agora/bench",
                        subject=payload.learner_id,
                        tenant_id=TENANT,
                        actor_id=payload.learner_id,
                        registry=names.registry(),
                    )
                )
    upstream.shutdown()
    return events


async def consume_all(
    kafka: str, names: Names, database: Database, count: int
) -> tuple[float, float]:
    """(wall, CPU) seconds from assignment until the batch consumer committed ``count``
    events; CPU is this process's (the collector runs in its own)."""
    handled = 0

    async def counted(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
        nonlocal handled
        await record_progress(event, uow)
        handled += 1

    broker = create_broker(kafka, client_id=f"bench-{names.unique}")
    consumer = BatchEventConsumer(
        broker,
        service="bench",
        group_id=f"bench-tracing-{uuid.uuid4().hex[:8]}",
        topics=[names.topic],
        handlers={names.event_type: counted},
        registry=names.registry(),
        database=database,
        publisher=EventPublisher(broker, service="bench"),
        retry=RetryPolicy(),
    )
    await broker.start()
    try:
        deadline = time.monotonic() + 60
        while not consumer.assignment:
            if time.monotonic() > deadline:
                raise TimeoutError("no partitions assigned in 60 s")
            await asyncio.sleep(0.002)
        started, cpu_started = time.perf_counter(), time.process_time()
        while handled < count:  # noqa: ASYNC110 - a poll at 5 ms; the handler stays plain
            await asyncio.sleep(0.005)
        await consumer.drain()
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    finally:
        await broker.stop()
    rows = await count_rows(database)
    if rows != count:
        raise RuntimeError(f"the consumer wrote {rows} rows for {count} events")
    return seconds, cpu


def _echo_registration() -> ServiceRegistration[None]:
    def add(_servicer: None, server: grpc.aio.Server) -> None:
        async def echo(request: bytes, _context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
            return request

        handler = grpc.unary_unary_rpc_method_handler(echo)
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler("agora.bench.v1.Echo", {"Echo": handler}),)
        )

    return ServiceRegistration(add, None)


async def echo_calls(calls: int) -> tuple[float, float]:
    """(wall, CPU) seconds for ``calls`` unary echoes, 16 in flight, through every
    interceptor (client and server in this process)."""
    settings = ServiceSettings(
        service_name="bench", grpc_port=0, dev_mode=True, jwt_hs256_secret="b" * 32
    )
    policy = MethodPolicy(rules={}, public=PUBLIC_METHODS | {ECHO})
    server = create_grpc_server(
        settings, registrations=[_echo_registration()], policy=policy, service_names=[]
    )
    async with server, grpc.aio.insecure_channel(server.address) as channel:
        call = channel.unary_unary(ECHO, None, None)  # bytes as they are
        await call(b"warm-up", timeout=10)
        left = calls

        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                await call(b"x" * 200, timeout=10)

        started, cpu_started = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return time.perf_counter() - started, time.process_time() - cpu_started


async def start_collector() -> tuple[asyncio.subprocess.Process, str]:
    """The OTLP receiver in its own process (a collector never shares the service's)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "agora_core.testing.otlp_receiver", stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode().strip()
    return process, line  # it prints its endpoint once listening


async def collected_spans(endpoint: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(f"{endpoint}/stats") as reply:
        stats: dict[str, int] = await reply.json()
    return stats["spans"]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    names = Names(f"b{uuid.uuid4().hex[:8]}")
    started = datetime.now(UTC)
    console.log(f"seeding {args.events:,} events (10 % sampled upstream)")
    events = seeded_events(names, args.events)
    sampled = sum(1 for e in events if e.headers["ce_traceparent"][-1] in "13579bdf")
    await ensure_test_role(args.postgres)
    db_name, dsn = await create_test_database(args.postgres, prefix="bench_tracing")
    await create_topics(args.kafka, [names.topic])
    collector, endpoint = await start_collector()
    consumer_s: dict[str, list[tuple[float, float]]] = {m: [] for m in MODES}
    echo_s: dict[str, list[tuple[float, float]]] = {m: [] for m in MODES}
    spans: dict[str, int] = dict.fromkeys(MODES, 0)
    try:
        await send_all(args.kafka, events)
        async with migrated_database(dsn, MIGRATIONS, max_size=4) as database:
            tracing_for("off", endpoint)
            await consume_all(args.kafka, names, database, args.events)  # warm-up, not kept
            await truncate(database)
            await echo_calls(args.calls // 4)
            for round_ in range(args.rounds):
                # Each round starts with another mode: none always runs first or last.
                for mode in MODES[round_ % 4 :] + MODES[: round_ % 4]:
                    setup = tracing_for(mode, endpoint)
                    before = await collected_spans(endpoint)
                    measured = await consume_all(args.kafka, names, database, args.events)
                    consumer_s[mode].append(measured)
                    await truncate(database)
                    echo_s[mode].append(await echo_calls(args.calls))
                    setup.shutdown()  # exports what is queued
                    spans[mode] += await collected_spans(endpoint) - before
                    console.log(
                        f"round {round_ + 1} {mode}: consumer "
                        f"{args.events / measured[0]:,.0f} events/s, echo "
                        f"{args.calls / echo_s[mode][-1][0]:,.0f} calls/s"
                    )
    finally:
        install(None)
        collector.terminate()
        await collector.wait()
        await drop_test_database(args.postgres, db_name)
        await delete_topics(args.kafka, [names.topic])
    return report(args, started, sampled, consumer_s, echo_s, spans)


def report(
    args: argparse.Namespace,
    started: datetime,
    sampled: int,
    consumer_s: Mapping[str, list[tuple[float, float]]],
    echo_s: Mapping[str, list[tuple[float, float]]],
    spans: Mapping[str, int],
) -> dict[str, Any]:
    def rates(count: int, runs: Mapping[str, list[tuple[float, float]]]) -> dict[str, Any]:
        per_s = {m: round(count / statistics.median(w for w, _ in r), 1) for m, r in runs.items()}
        # CPU of this process per item: what tracing adds, much less disturbed than
        # wall time by the other work of a shared machine.
        cpu_us = {
            m: round(statistics.median(c for _, c in r) / count * 1e6, 1) for m, r in runs.items()
        }
        return {
            "per_s_median": per_s,
            "per_s_runs": {m: [round(count / w, 1) for w, _ in r] for m, r in runs.items()},
            "cpu_us_per_item_median": cpu_us,
            "on_10_vs_off": round(per_s["on_10"] / per_s["off"], 3),
            "off_vs_disabled": round(per_s["off"] / per_s["disabled"], 3),
            "on_100_vs_off": round(per_s["on_100"] / per_s["off"], 3),
            "cpu_on_10_vs_off": round(cpu_us["on_10"] / cpu_us["off"], 3),
            "cpu_off_vs_disabled": round(cpu_us["off"] / cpu_us["disabled"], 3),
        }

    return {
        "meta": {
            "started": started.strftime("%Y-%m-%d %H:%M UTC"),
            "seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
            "events": args.events,
            "calls": args.calls,
            "rounds": args.rounds,
            "quick": args.quick,
            "cpus": os.cpu_count(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "events_sampled_upstream": sampled,
            "collector": "agora_core.testing.otlp_receiver, OTLP/HTTP protobuf, own process",
            "goal": "on_10 loses at most 5 % against off (ratio >= 0.95)",
        },
        "consumer": rates(args.events, consumer_s),
        "grpc_echo": rates(args.calls, echo_s),
        "spans_exported": dict(spans),
    }


def write_chart(result: Mapping[str, Any], path: Path) -> None:
    import matplotlib  # a dev dependency, only for the chart

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, 2, figsize=(12, 8))
    panels = (("consumer", "batch consumer", "events"), ("grpc_echo", "gRPC echo", "calls"))
    colours = ["#999999", "#4c72b0", "#55a868", "#c44e52"]
    for column, (key, title, unit) in enumerate(panels):
        figures = result[key]
        for row, (field, label, ratio) in enumerate(
            (
                ("per_s_median", f"{unit}/s (median)", "on_10_vs_off"),
                ("cpu_us_per_item_median", f"CPU µs per {unit[:-1]} (median)", "cpu_on_10_vs_off"),
            )
        ):
            axis = axes[row][column]
            values = [figures[field][m] for m in MODES]
            bars = axis.bar(MODES, values, color=colours)
            axis.bar_label(bars, labels=[f"{v:,.0f}" for v in values])
            axis.set_title(f"{title}: {label}, on_10/off = {figures[ratio]:.3f}")
    meta = result["meta"]
    figure.suptitle(
        f"Tracing cost, {meta['started']}, {meta['rounds']} rounds, "
        f"load average at end {meta['load_average_at_end'][0]} on {meta['cpus']} CPUs"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="2,000 events, 2,000 calls")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    parser.add_argument("--events", type=int, help="events per consumer run (default 20,000)")
    parser.add_argument("--calls", type=int, help="gRPC calls per run (default 10,000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every mode")
    add_infrastructure_arguments(parser)
    parser.add_argument("--out", type=Path, default=REPORTS)
    args = parser.parse_args()
    if args.smoke:
        args.quick = True
        args.events, args.calls, args.rounds = args.events or 200, args.calls or 200, 1
    args.events = args.events or (2_000 if args.quick else 20_000)
    args.calls = args.calls or (2_000 if args.quick else 10_000)
    result = asyncio.run(run(args))
    console.print_json(json.dumps({k: result[k] for k in ("consumer", "grpc_echo")}))
    stem = "tracing-quick" if args.quick else "tracing"
    (args.out / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    write_chart(result, args.out / f"{stem}.png")
    console.print(f"report: {args.out / stem}.json, chart: {stem}.png")


if __name__ == "__main__":
    main()
