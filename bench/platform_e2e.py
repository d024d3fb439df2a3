"""End-to-end benchmark: the whole platform as separate processes under a load mix.

    python -m bench.platform_e2e [--quick] [--learners N] [--items N] [--levels 5,20,50]
                                 [--duration S] [--replicas 1,2]      (make bench-platform)

Starts a private platform with agora-platform's supervisor (its own state directory
under /tmp and free loopback ports: Kafka, PostgreSQL and the four services, each its own
process), so it never touches a platform or test infrastructure already running. Then:

1. seeds a tenant: the demo's reference content through gRPC (agora-demo's seeding:
   people, themes, skills, a badge, spaces, seven items of every kind, a path), plus
   a probe badge; then bulk-loads ``--items`` published items (built by the catalog's
   own item code, indexed by its batched search apply, as ``bench/catalog.py`` does),
   one started progress document per learner (``--learners``), and the gamification
   board of those learners (score documents and rank index as ``bench/gamification.py``
   builds them, profiles through the service's ``profile_fields``);
2. baselines on the same broker and database: raw pipelined aiokafka produce and raw
   consume of knowledge.completed CloudEvents, raw batched inserts and primary-key reads;
3. for each gamification replica count (one, then two processes in one group) and each
   ``--levels`` rate, ``--duration`` seconds of open-loop load through gRPC: event
   causing calls (completions, progress, quiz attempts, likes, comments, questions)
   at the level's rate, reads (search, leaderboard top-10 and around-me, inbox,
   profile) at half that rate, and a probe every ``--probe-interval`` seconds: a fresh
   learner completes the probe item and the time until GetProfile shows the points and
   until the inbox shows the probe badge's notification is recorded;
4. after the levels of each replica count, a burst of completions produced straight to
   the topic, to measure how fast each consumer drains it beside raw consumption.

Throughout, every service's /metrics (``agora_events_consumed_total``,
``agora_consumer_lag``) and every process's VmRSS are sampled every two seconds.
Prints rich tables, compares with the issue's goals and writes
``bench/reports/platform.json`` and ``platform.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import grpc.aio
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from agora.gamification.v1 import gamification_pb2 as gam
from agora_demo.platform import Platform
from agora_platform import supervisor
from agora_platform.config import PlatformConfig, load_config
from agora_platform.processes import terminate
from bench import platform_report, report_stem, reports_dir
from bench.platform_parts import chart, options, soak, tables
from bench.platform_parts.baselines import raw_database_baseline, raw_kafka_baseline
from bench.platform_parts.echo import EchoProcess
from bench.platform_parts.load import warm_up
from bench.platform_parts.phases import ReadCapacity, burst, run_level, settle
from bench.platform_parts.replica import start_replica
from bench.platform_parts.sampling import Sampler
from bench.platform_parts.seeding import bulk_load_board, bulk_load_catalog
from bench.platform_parts.world import (
    ROOT,
    TENANT,
    Processes,
    World,
    console,
    platform_env,
    seed_through_grpc,
)

SMOKE_SOAK_MINUTES = 0.1
"""The smoke run's soak: a few seconds, so CI proves the soak still runs."""


async def run(args: argparse.Namespace, config: PlatformConfig) -> platform_report.Report:
    report: platform_report.Report = {
        "meta": {
            "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "learners": args.learners,
            "items": args.items,
            "levels": args.levels,
            "duration_s": args.duration,
            "replicas": args.replicas,
            "quick": args.quick,
            "smoke": args.smoke,
            "outbox_scan_ms": args.outbox_scan_ms,
            "soak_minutes": args.soak,
            "soak_rate": args.soak_rate,
            "load_average_at_start": os.getloadavg(),
            "cpus": os.cpu_count(),
        },
        "runs": [],
        "capacity": [],
    }
    console.rule("[bold]platform up (private state dir, free ports)")
    result = await supervisor.up(config, console)
    state = result.state
    secret = state.dev_secret()
    processes = Processes.of(config, state)
    replica_pid: int | None = None
    async with (
        Platform(state, TENANT) as p,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http,
    ):
        console.rule("[bold]seeding")
        loaded = await bulk_load_board(config, args.learners)
        began = time.perf_counter()
        demo_items = await seed_through_grpc(p)
        grpc_seconds = time.perf_counter() - began
        loaded.update(await bulk_load_catalog(config, args.items, args.learners))
        bulk_ids = loaded.pop("bulk_item_ids")
        report["meta"]["seeded"] = {
            "through_grpc": "agora-demo seeding: 7 people, 3 themes, 2 skills, a badge, "
            f"2 spaces, {len(demo_items)} items (create/submit/claim/approve), a path; "
            f"bench taxonomy; the probe badge ({grpc_seconds:.0f} s)",
            "bulk_loaded": f"{args.items:,} published items (catalog item code + batched "
            f"search index apply), {args.learners:,} started progress documents, "
            f"{args.learners:,} gamification score documents + rank index + profiles",
            **loaded,
        }
        world = World(demo_items, bulk_ids, args.learners, secret)
        soak_only = args.soak is not None
        if not soak_only:
            console.rule("[bold]baselines")
            report["baselines"] = await raw_database_baseline(
                config.postgres_dsn("catalog"), 5000, 300
            )
            report["baselines"].update(
                await raw_kafka_baseline(config.kafka_bootstrap, args.raw_messages)
            )
        await warm_up(p, world)
        echo = await EchoProcess.start(config.state_dir)
        echo_channel = grpc.aio.insecure_channel(echo.address)
        payload = gam.GetProfileRequest(learner_id="u-learner-1").SerializeToString()
        echo_call = echo.caller(echo_channel, payload)
        await echo_call()  # connected before measuring, as warm_up does for the platform's
        capacity = ReadCapacity(echo_call, args.read_concurrency, args.read_seconds)
        sampler = Sampler(processes, http)
        sampling = asyncio.create_task(sampler.run())
        try:
            for replicas in [] if soak_only else args.replicas:
                if replicas == 2 and replica_pid is None:
                    sampler.phase = "replica start"
                    replica, replica_pid = await start_replica(
                        config, "gamification", secret, console
                    )
                    processes.pids["gamification#2"] = replica_pid
                    processes.metrics["gamification#2"] = replica.metrics_url
                    # The group rebalances onto two members: start measuring after it.
                    await settle(sampler, args.settle)
                console.rule(f"[bold]{replicas} gamification replica(s)")
                with Progress(
                    TextColumn("{task.description:<32}"),
                    BarColumn(),
                    TimeElapsedColumn(),
                    console=console,
                ) as progress:
                    for level in args.levels:
                        run_figures = await run_level(
                            p,
                            world,
                            sampler,
                            replicas,
                            level,
                            args.duration,
                            args.probe_interval,
                            progress,
                            capacity,
                        )
                        Sampler.check(sampling)
                        report["runs"].append(run_figures)
                        console.log(
                            f"{replicas}x {level}/s: points p99 "
                            f"{run_figures['points_visible_ms']['p99']:.0f} ms, inbox p99 "
                            f"{run_figures['inbox_ms']['p99']:.0f} ms, consumed "
                            f"{run_figures['consumed_per_s']}"
                        )
                        run_figures["settle_s"] = await settle(sampler, args.settle)
                sampler.phase = "burst"
                report["capacity"].append(
                    await burst(
                        config.kafka_bootstrap, sampler, replicas, args.burst, args.burst_timeout
                    )
                )
                # What the burst left must not count against the next replica count.
                report["capacity"][-1]["settle_s"] = await settle(sampler, args.settle)
                Sampler.check(sampling)
            if soak_only or args.smoke:  # the smoke run: a few seconds of it
                console.rule(f"[bold]soak: {args.soak_rate:g} completions/s offered")
                minutes = args.soak if soak_only else SMOKE_SOAK_MINUTES
                report["soak"] = await soak.soak(p, world, sampler, args.soak_rate, minutes)
                Sampler.check(sampling)
        finally:
            sampling.cancel()
            await echo_channel.close(None)
            await echo.stop()
            if replica_pid is not None:
                await terminate(replica_pid, supervisor.STOP_GRACE_SECONDS)
        report["series"] = sampler.series()
    return report


def main() -> None:
    args = options.parse(sys.argv[1:], (__doc__ or "").split("\n", 1)[0])
    state_dir = Path(tempfile.mkdtemp(prefix="agora-bench-e2e-"))
    env = platform_env(state_dir, args.outbox_scan_ms)
    config = load_config(ROOT, env)
    reports = reports_dir()  # before the environment below drops AGORA_BENCH_REPORTS
    # The supervisor hands its own environment to the services (AGORA_<SVC>_* pass
    # through): make it the private platform's, so nothing of a caller's leaks in.
    os.environ.clear()
    os.environ.update(env)
    try:
        report = asyncio.run(run(args, config))
    finally:
        asyncio.run(supervisor.down(config, console))
        if args.keep:
            console.print(f"state kept in {state_dir}")
        else:
            shutil.rmtree(state_dir, ignore_errors=True)
    # --quick and --smoke never write over the committed full-size reports.
    reports.mkdir(parents=True, exist_ok=True)
    if report["runs"]:
        tables.print_tables(report, console)
        stem = report_stem("platform", smoke=args.smoke, quick=args.quick)
        platform_report.write_json(report, reports / f"{stem}.json")
        chart.write_chart(report, reports / f"{stem}.png")
        console.print(f"report: {reports / stem}.json, chart: {reports / stem}.png")
    if "soak" in report:
        soak.print_table(report, console)
        stem = report_stem("platform_soak", smoke=args.smoke, quick=args.quick)
        body = {"meta": report["meta"], "soak": report["soak"]}
        soak.write_json(body, reports / f"{stem}.json")
        soak.write_chart(body, reports / f"{stem}.png")
        console.print(f"soak report: {reports / stem}.json, chart: {reports / stem}.png")


if __name__ == "__main__":
    main()
