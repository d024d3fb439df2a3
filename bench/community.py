"""Benchmark of the community service on PostgreSQL beside raw baselines measured in
the same run.

    python -m bench.community [--quick] [--kafka HOST:PORT] [--postgres ADMIN_DSN]

Runs the real service as production does, in its own processes (``python -m
agora_community``, ``bench/processes/service.py``) on a throwaway database, seeded
server-side first (``bench/seeds/community.py``; full size: 1,000,000 comments in 1,000
spaces, the largest thread 100,000, 100,000 popularity rows; ``--quick``: 50,000 / 100 /
10,000), and measures from this process:

- thread page: ListComments of 50 at random keyset positions of the largest thread,
  p50/p99 over gRPC, beside the repository's own SQL sent raw at the same positions,
  interleaved (one service process);
- like/unlike: N people each like then unlike an item over gRPC (32 calls in flight),
  ops/s and p99, against one service process and against two behind one round-robin
  channel (replicas); beside the same state change as one raw statement per call; the
  cores used meanwhile by this process (the load generator), each service process,
  PostgreSQL and the whole machine (``bench/community_parts/likes.py``);
- trending: ListTrending top-20 p50/p99 over gRPC beside its raw SQL;
- consumers: M like events through one process's consumer beside raw aiokafka
  consumption of the same records (``bench/community_parts/consumers.py``); last, with
  no service running, their storage floor: M other like events of the same targets
  written by the consumer's own set handler with their marks, 500 per transaction, no
  Kafka (``bench/processes/floor.py``), which bounds the consumer's ratio to raw.

Prints a table and writes ``bench/reports/community.json`` and ``community.png``
(``--quick``: ``community-quick.*``, git-ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from agora.community.v1 import community_pb2 as pb
from agora.community.v1.community_pb2_grpc import CommunityServiceStub
from agora_community.adapters.postgres.comments import thread_sql
from agora_community.adapters.postgres.likes import TRENDING
from agora_community.entrypoints.events import TOPICS
from agora_community.migrations import MIGRATIONS
from agora_community.service_layer.paging import TimeCursor
from agora_contracts.events.domains.privacy import ERASURES_TOPIC
from agora_core.pagination import encode_page_token
from agora_core.postgres import Database
from agora_core.testing.event_tap import start_group_at_end
from agora_core.testing.postgres import (
    create_test_database,
    drop_test_database,
    dsn_for_database,
    ensure_test_role,
    migrated_database,
)
from bench import SMOKE_HELP, add_infrastructure_arguments, reports_dir
from bench import community_report as report_
from bench.community_parts import likes
from bench.community_parts.consumers import consumers, storage_floor
from bench.community_parts.likes import metadata, timed
from bench.platform_report import summary
from bench.processes.cpu import postmaster_pid, service_meter
from bench.processes.postgres import checkpoint
from bench.processes.service import ServiceProcesses
from bench.seeds.community import BIG, FULL, QUICK, SMOKE, TENANT, Sizes, seed

PAGE = 50
THREAD_START = datetime(2026, 11, 1, tzinfo=UTC)
SERVICE_SETTINGS = {
    "RATE_LIMIT_LIKES": "1000000",
    "RATE_LIMIT_POSTS": "1000000",
    "POSTGRES_POOL_MAX_SIZE": "16",
}
"""The limits a person would hit are lifted: the load is many calls by few people."""
console = Console()


async def thread_pages(stub: Any, database: Database, samples: int, sizes: Sizes) -> Any:
    reader = metadata("u-reader")
    target = pb.Target(type=pb.TARGET_TYPE_KNOWLEDGE, id=BIG)
    grpc_ms: list[float] = []
    raw_ms: list[float] = []
    positions = random.Random(16)  # noqa: S311 - the same pages in every run
    for _ in range(samples):
        position = positions.randrange(sizes.largest - 2 * PAGE)
        at = THREAD_START + timedelta(seconds=position)
        after_id = f"c-0-{position:07d}"
        token = encode_page_token(TimeCursor(after_time=at, after_id=after_id))
        request = pb.ListCommentsRequest(target=target, page_size=PAGE, page_token=token)

        async def over_grpc(request: Any = request) -> None:
            page = await stub.ListComments(request, metadata=reader)
            assert len(page.comments) == PAGE

        async def raw(at: datetime = at, after_id: str = after_id) -> None:
            async with database.unit_of_work(TENANT) as uow:
                cursor = await uow.connection.execute(
                    thread_sql(False, True), (TENANT, "knowledge", BIG, at, after_id, PAGE + 1)
                )
                assert len(await cursor.fetchall()) == PAGE + 1

        grpc_ms.append(await timed(over_grpc))
        raw_ms.append(await timed(raw))
    return {"grpc_ms": summary(grpc_ms), "raw_sql_ms": summary(raw_ms)}


async def trending(stub: Any, database: Database, samples: int) -> Any:
    reader = metadata("u-reader")
    grpc_ms: list[float] = []
    raw_ms: list[float] = []

    async def over_grpc() -> None:
        ranked = await stub.ListTrending(pb.ListTrendingRequest(limit=20), metadata=reader)
        assert len(ranked.popularity) == 20

    async def raw() -> None:
        async with database.unit_of_work(TENANT) as uow:
            cursor = await uow.connection.execute(TRENDING, (TENANT, 20))
            assert len(await cursor.fetchall()) == 20

    for _ in range(samples):
        grpc_ms.append(await timed(over_grpc))
        raw_ms.append(await timed(raw))
    return {"grpc_ms": summary(grpc_ms), "raw_sql_ms": summary(raw_ms)}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    sizes = SMOKE if args.smoke else QUICK if args.quick else FULL
    started, load_at_start = datetime.now(UTC), os.getloadavg()
    await ensure_test_role(args.postgres)
    name, dsn = await create_test_database(args.postgres, prefix="bench_community")
    group = f"agora-community-bench-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(args.kafka, group, [*TOPICS, ERASURES_TOPIC])

    def processes(count: int) -> ServiceProcesses:
        return ServiceProcesses(
            "community",
            kafka=args.kafka,
            dsn=dsn,
            group=group,
            count=count,
            logs=args.out,
            settings=SERVICE_SETTINGS,
        )

    try:
        async with migrated_database(dsn, MIGRATIONS, max_size=16) as database:
            console.log(f"seeding {sizes.comments:,} comments in {sizes.spaces:,} spaces")
            began = time.perf_counter()
            await seed(dsn_for_database(args.postgres, name), sizes)
            seed_s = time.perf_counter() - began
            console.log(f"seeded in {seed_s:.1f} s")
            await checkpoint(args.postgres)  # the seed's writes, not the measured calls'
            postmaster = await postmaster_pid(database, TENANT)
            like_unlike: dict[str, Any] = {}
            async with processes(1) as one, one.channel() as channel:
                stub = CommunityServiceStub(channel)
                result: dict[str, Any] = {
                    "thread_page": await thread_pages(stub, database, args.samples, sizes),
                    "trending_top20": await trending(stub, database, args.samples),
                }
                console.log("reads measured")
                meter = service_meter(one, postmaster)
                like_unlike["grpc"] = await likes.over_grpc(stub, args.likers, sizes.spaces, meter)
                like_unlike["raw_sql"] = await likes.raw_sql(
                    database, args.likers, sizes.spaces, meter
                )
                console.log("likes measured (one process)")
                result["consumers"] = await consumers(
                    args.kafka, database, group, args.events, sizes.spaces
                )
            async with processes(2) as two, two.channel() as channel:
                like_unlike["grpc_two_processes"] = await likes.over_grpc(
                    CommunityServiceStub(channel),
                    args.likers,
                    sizes.spaces,
                    service_meter(two, postmaster),
                )
                console.log("likes measured (two processes)")
            result["like_unlike"] = like_unlike
            await checkpoint(args.postgres)
            floor = await storage_floor(database, args.events, sizes.spaces)
            result["consumers"]["storage_floor_per_s"] = round(floor, 1)
            console.log(f"storage floor: {floor:,.0f} like events/s")
    finally:
        await drop_test_database(args.postgres, name)
    result["meta"] = {
        "mode": "smoke" if args.smoke else "quick" if args.quick else "full",
        "comments": sizes.comments,
        "spaces": sizes.spaces,
        "largest_thread": sizes.largest,
        "popularity_rows": sizes.popular,
        "seed_seconds": round(seed_s, 1),
        "samples": args.samples,
        "likers": args.likers,
        "concurrency": likes.CONCURRENCY,
        "service": "own processes (python -m agora_community), one then two",
        "load_average_at_start": [round(x, 2) for x in load_at_start],
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "started": started.strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small run (50,000 comments)")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    add_infrastructure_arguments(parser)
    parser.add_argument("--out", type=Path, default=reports_dir(), help="where reports go")
    # tools/bench.sh passes the same arguments to every benchmark; ignore others' flags.
    args, _ = parser.parse_known_args()
    args.samples = 20 if args.smoke else 300 if args.quick else 2_000
    args.likers = 20 if args.smoke else 500 if args.quick else 5_000
    args.events = 200 if args.smoke else 5_000 if args.quick else 50_000
    report = asyncio.run(run(args))
    report_.print_table(report, console)
    # Only a full-size run writes the committed report.
    stem = "community-smoke" if args.smoke else "community-quick" if args.quick else "community"
    report_.write_json(report, args.out / f"{stem}.json")
    report_.write_chart(report, args.out / f"{stem}.png")
    console.print(f"report: {args.out / stem}.json, chart: {stem}.png")


if __name__ == "__main__":
    main()
