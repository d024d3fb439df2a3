"""Benchmark of the gamification service on PostgreSQL, against baselines measured in
the same run.

    python -m bench.gamification [--quick] [--learners N] [--events N] [--calls N]

Against the broker and PostgreSQL of AGORA_TEST_KAFKA / AGORA_TEST_POSTGRES_DSN (each
part in a database of its own, dropped after):

- **events handled**: knowledge.completed events for random learners (rules, ledger,
  profile, level, streak, board entries, processed marks: the batch scoring path)
  handled by ONE service process and by TWO processes in one consumer group, each
  beside raw aiokafka consumption of the same records (ratio); balance == ledger sum
  is checked for every learner after each run;
- **storage floor**: the same events' effects written by the service's own
  repositories, one transaction per 500 events, decoded and scored beforehand, untimed
  (``bench/gamification_parts/floor.py``): the database's part alone, which bounds
  what any consumer with exactly-once effects can reach on this machine;
- **leaderboards**: GetLeaderboard top-10 and "around me" (5 neighbours) p50/p99 over
  the real gRPC server with N learners on the board (``bench/gamification_parts/board.py``),
  beside the same SQL run directly on the same board, every answer checked exact
  against the board sorted here; the board is loaded with ``unnest`` inserts.

Writes ``bench/reports/gamification.json`` and ``.png`` (``-quick`` suffixed with
``--quick`` or ``--smoke``; ``AGORA_BENCH_REPORTS`` names another directory). The
benchmark's records are deleted from the consumed topic at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import time
import uuid
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete

from agora_contracts.events.domains import learning
from agora_contracts.events.domains.privacy import ERASURES_TOPIC
from agora_core.messaging.events import OutgoingEvent
from agora_core.postgres import Database
from agora_core.testing.event_tap import start_group_at_end
from agora_core.testing.postgres import (
    create_test_database,
    drop_test_database,
    ensure_test_role,
    migrated_database,
)
from agora_core.testing.service_harness import running_service, test_settings
from agora_gamification.bootstrap import build
from agora_gamification.entrypoints.events import consumed_topics
from agora_gamification.migrations import MIGRATIONS
from agora_gamification.settings import GamificationSettings
from bench import SMOKE_HELP, add_infrastructure_arguments, reports_dir
from bench.gamification_parts import board as boards
from bench.gamification_parts.floor import storage_floor
from bench.processes.cpu import postmaster_pid, service_meter
from bench.processes.kafka import end_offsets, raw_consume, send_all
from bench.processes.postgres import checkpoint, scalar
from bench.processes.service import ServiceProcesses

REPORTS = reports_dir()
TOPIC = learning.COMPLETIONS_TOPIC
ROOT = Path(__file__).resolve().parent.parent
_UNBALANCED = """
SELECT count(*) FROM profiles p WHERE p.tenant_id = %(t)s AND p.version > 0 AND p.balance <>
    (SELECT coalesce(sum(l.points), 0) FROM ledger l
     WHERE l.tenant_id = p.tenant_id AND l.learner_id = p.learner_id)
"""


def completions(tenant: str, count: int, learners: int) -> list[OutgoingEvent]:
    """``count`` completions by random learners of one tenant, keyed by learner."""
    rng = random.Random(7)  # noqa: S311 - reproducible load, not security
    at = dt.datetime.now(dt.UTC)
    who = [f"u{rng.randrange(learners)}" for _ in range(count)]
    return [
        OutgoingEvent.create(
            learning.KnowledgeCompletedV1(
                learner_id=who[i],
                item_id=f"k-{i}",
                item_type=rng.choice(["video", "scorm", "document", "quiz"]),
                item_title=f"Item {i}",
                author_id=f"author-{i % 50}",
                completed_at=at,
            ),
            source="/agora/catalog",
            subject=f"k-{i}",
            tenant_id=tenant,
            # Learning events are keyed by the learner (ARCHITECTURE.md §2).
            key=who[i],
        )
        for i in range(count)
    ]


async def count_of(database: Database, tenant: str, query: str) -> int:
    return await scalar(database, tenant, query, {"t": tenant})


async def handled_rate(
    kafka: str, admin_dsn: str, instances: int, count: int, learners: int
) -> dict[str, Any]:
    """Events/s of ``instances`` processes on ``count`` events, the raw baseline, and
    the balance check."""
    name, dsn = await create_test_database(admin_dsn, prefix="bench_gam")
    group = f"bench-gamification-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(kafka, group, [*consumed_topics(), ERASURES_TOPIC])
    processes = ServiceProcesses(
        "gamification", kafka=kafka, dsn=dsn, group=group, count=instances, logs=REPORTS
    )
    try:
        async with migrated_database(dsn, MIGRATIONS, max_size=2) as database:
            await processes.start()
            tenant = f"bench-{uuid.uuid4().hex[:8]}"
            events = completions(tenant, count, learners)
            await checkpoint(admin_dsn)  # the run before's writes, not this run's
            meter = service_meter(processes, await postmaster_pid(database, tenant))
            start = await end_offsets(kafka, TOPIC)
            meter.start()
            began = time.perf_counter()
            await send_all(kafka, events)
            marks = "SELECT count(*) FROM processed_events WHERE tenant_id = %(t)s"
            while await count_of(database, tenant, marks) < count:  # noqa: ASYNC110 - polling the database
                await asyncio.sleep(0.2)
            rate = count / (time.perf_counter() - began)
            cores = meter.stop()
            await processes.stop()
            unbalanced = await count_of(database, tenant, _UNBALANCED)
            profiles = await count_of(
                database, tenant, "SELECT count(*) FROM profiles WHERE tenant_id = %(t)s"
            )
        baseline = count / await raw_consume(kafka, start, count)
    finally:
        await processes.stop()
        await drop_test_database(admin_dsn, name)
    return {
        "events_per_s": round(rate, 1),
        "raw_events_per_s": round(baseline, 1),
        "ratio_to_raw": round(rate / baseline, 3),
        "learners_touched": profiles,
        "balance_ne_ledger_sum": unbalanced,
        "cores_used": cores,
    }


async def floor_rate(admin_dsn: str, count: int, learners: int) -> dict[str, Any]:
    """The same completions' effects written without Kafka, decoding or rules
    (``gamification_parts/floor.py``), and the balance check."""
    name, dsn = await create_test_database(admin_dsn, prefix="bench_gam_floor")
    try:
        async with migrated_database(dsn, MIGRATIONS, max_size=2) as database:
            tenant = f"bench-{uuid.uuid4().hex[:8]}"
            await checkpoint(admin_dsn)
            rate = await storage_floor(database, tenant, completions(tenant, count, learners))
            unbalanced = await count_of(database, tenant, _UNBALANCED)
    finally:
        await drop_test_database(admin_dsn, name)
    return {"events_per_s": round(rate, 1), "balance_ne_ledger_sum": unbalanced}


async def leaderboard(kafka: str, admin_dsn: str, learners: int, calls: int) -> dict[str, Any]:
    """Board latency over gRPC and direct SQL at ``learners`` (see gamification_parts/board.py)."""
    name, dsn = await create_test_database(admin_dsn, prefix="bench_gam_board")
    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    try:
        group = f"bench-gamification-board-{uuid.uuid4().hex[:8]}"
        # Started at the end: the board's process must not replay earlier records.
        await start_group_at_end(kafka, group, [*consumed_topics(), ERASURES_TOPIC])
        settings = test_settings(
            GamificationSettings,
            kafka=kafka,
            postgres_dsn=dsn,
            consumer_group=group,
            log_level="WARNING",
        )
        async with running_service(build, settings) as runtime:
            database = runtime.require_postgres()
            scores = boards.seeded_scores(learners)
            loaded = await boards.seed(database, dsn, tenant, scores)
            await checkpoint(admin_dsn)  # the board's load, not the calls'
            results = await boards.latency(runtime, database, tenant, scores, calls)
            results["unnest_learners_per_s"] = round(loaded, 1)
            results["balance_ne_ledger_sum"] = await count_of(database, tenant, _UNBALANCED)
    finally:
        await drop_test_database(admin_dsn, name)
    return results


async def forget_bench_records(kafka: str) -> None:
    """Delete everything up to now from the consumed topic (local broker hygiene)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        offsets = await end_offsets(kafka, TOPIC)
        await admin.delete_records({tp: RecordsToDelete(o) for tp, o in offsets.items()})
    finally:
        await admin.close()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    await ensure_test_role(args.postgres)
    results: dict[str, Any] = {
        "quick": args.quick,
        "events": args.events,
        "event_learners": args.event_learners,
        "board_learners": args.learners,
        "calls": args.calls,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    for instances in (1, 2):
        rate = await handled_rate(
            args.kafka, args.postgres, instances, args.events, args.event_learners
        )
        results[f"instances_{instances}"] = rate
    results["two_over_one"] = round(
        results["instances_2"]["events_per_s"] / results["instances_1"]["events_per_s"], 3
    )
    results["storage_floor"] = await floor_rate(args.postgres, args.events, args.event_learners)
    results["one_over_floor"] = round(
        results["instances_1"]["events_per_s"] / results["storage_floor"]["events_per_s"], 3
    )
    results["board"] = await leaderboard(args.kafka, args.postgres, args.learners, args.calls)
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    if not args.keep_records:
        await forget_bench_records(args.kafka)
    return results


def chart(results: dict[str, Any], path: Path) -> None:
    """Events/s beside raw consumption, and leaderboard p50/p99 over gRPC and SQL."""
    import matplotlib  # only the chart needs it (a dev dependency)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (rates, latency) = plt.subplots(1, 2, figsize=(12, 4.5))
    names = ["raw aiokafka", "storage floor", "1 process", "2 processes"]
    values = [
        results["instances_1"]["raw_events_per_s"],
        results["storage_floor"]["events_per_s"],
        results["instances_1"]["events_per_s"],
        results["instances_2"]["events_per_s"],
    ]
    drawn = rates.bar(names, values, color=["#999999", "#bbbbbb", "#3b7dd8", "#1f4e8c"])
    rates.bar_label(drawn, labels=[f"{v:,.0f}/s" for v in values], fontsize=9)
    rates.set_yscale("log")  # raw consumption is orders of magnitude above
    rates.set_ylabel("events/s (log)")
    rates.set_title(f"knowledge.completed handled ({results['events']:,} events)")
    board = results["board"]
    kinds = ["grpc_top10", "sql_top10", "grpc_around_me", "sql_around_me"]
    x = range(len(kinds))
    latency.bar([i - 0.2 for i in x], [board[f"{k}_p50_ms"] for k in kinds], 0.4, label="p50")
    latency.bar([i + 0.2 for i in x], [board[f"{k}_p99_ms"] for k in kinds], 0.4, label="p99")
    latency.set_xticks(list(x), [k.replace("_", " ") for k in kinds])
    latency.set_ylabel("ms")
    latency.set_title(f"leaderboard at {results['board_learners']:,} learners")
    latency.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a first look)")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    parser.add_argument("--learners", type=int, default=None, help="learners on the board")
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--event-learners", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=None, help="calls per latency series")
    add_infrastructure_arguments(parser)
    parser.add_argument("--keep-records", action="store_true")
    parser.add_argument("--from-json", type=Path, help="re-draw the chart of a saved report")
    args = parser.parse_args()
    if args.from_json is not None:
        chart(json.loads(args.from_json.read_text()), args.from_json.with_suffix(".png"))
        return
    if args.smoke:
        args.quick = True
        args.learners = args.learners or 500
        args.events = args.events or 200
        args.calls = args.calls or 10
        args.event_learners = min(args.event_learners, 100)
    args.learners = args.learners or (20_000 if args.quick else 1_000_000)
    args.events = args.events or (3_000 if args.quick else 30_000)
    args.calls = args.calls or (200 if args.quick else 1_000)
    results = asyncio.run(run(args))
    REPORTS.mkdir(exist_ok=True)
    stem = "gamification-quick" if args.quick else "gamification"
    summary = {k: v for k, v in results.items() if k != "board"}
    summary["board"] = {k: v for k, v in results["board"].items() if not k.endswith("_samples_ms")}
    (REPORTS / f"{stem}.json").write_text(json.dumps(results, indent=1) + "\n")
    chart(results, REPORTS / f"{stem}.png")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
