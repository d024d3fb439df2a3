"""Benchmark of the community service beside raw baselines measured in the same run.

    python bench/community.py [--quick] [--likers N] [--comments N] [--samples N]

Starts the real service in-process (gRPC server, consumer, outbox relay) against the
Kafka and FerretDB named by AGORA_TEST_KAFKA / AGORA_TEST_MONGO_URI and measures:

- like/unlike throughput: N people each like, then unlike, one item through gRPC
  (32 calls in flight; every call checks the target, the rate limit and flips the
  like document with its outbox event); baseline: the same number of raw
  single-document conditional writes (upsert, then toggle) on the same database at
  the same concurrency, the storage floor of one write per call;
- thread listing: a space whose item thread holds 100,000 comments (seeded directly
  in the service's document shape, ``comment_document``: posting 100k through gRPC
  would measure the relay and consumer, not the read); ListComments pages of 50 at
  random keyset positions (page tokens, no skip), p50/p99 latency; baseline: the same
  query (filter, sort, limit) sent raw with PyMongo at the same positions.

Prints a table and writes ``bench/reports/community.json`` and ``community.md``.
With few samples p99 is close to the maximum; the sample count is in the report.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import grpc.aio
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from agora.community.v1 import community_pb2 as pb
from agora.community.v1.community_pb2_grpc import CommunityServiceStub
from agora_community.adapters.collections import COMMENTS
from agora_community.adapters.repository import CommunityStore
from agora_community.bootstrap import build
from agora_community.domain.model import TargetKind
from agora_community.entrypoints.validation import TimeCursor
from agora_community.service_layer.comments import comment_document
from agora_community.service_layer.projections import target_published
from agora_community.settings import CommunitySettings
from agora_core.grpc.client import bearer_metadata
from agora_core.grpc.dev_tokens import mint_dev_token
from agora_core.grpc.validation import encode_page_token
from agora_core.settings import load_settings
from agora_core.storage import create_mongo_client
from bench import SMOKE_HELP, reports_dir

if TYPE_CHECKING:
    from agora.community.v1.community_pb2_grpc import CommunityServiceAsyncStub

REPORTS = reports_dir()
SECRET = "community-bench-dev-secret-of-at-least-32-bytes"  # noqa: S105 - dev mode only
TENANT = "bench"
CONCURRENCY = 32
PAGE = 50
console = Console()


def _metadata(user: str) -> tuple[tuple[str, str], ...]:
    return bearer_metadata(mint_dev_token(SECRET, user, TENANT, ["learner"]))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def _in_flight(count: int, work: Callable[[int], Awaitable[None]], label: str) -> float:
    """Run ``work(i)`` for i < count with CONCURRENCY in flight; return ops per second."""
    queue = iter(range(count))
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(label, total=count)

        async def worker() -> None:
            for i in queue:
                await work(i)
                progress.advance(task)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    console.log(f"{label}: {count} in {elapsed:.2f} s")
    return count / elapsed


async def like_phase(
    stub: CommunityServiceAsyncStub, database: Any, item: str, likers: int
) -> dict[str, float]:
    target = pb.Target(type=pb.TARGET_TYPE_KNOWLEDGE, id=item)
    tokens = [_metadata(f"u-liker-{i}") for i in range(likers)]

    async def like_then_unlike(i: int) -> None:
        liked = await stub.Like(pb.LikeRequest(target=target), metadata=tokens[i])
        unliked = await stub.Unlike(pb.UnlikeRequest(target=target), metadata=tokens[i])
        assert liked.changed
        assert unliked.changed

    service = await _in_flight(likers, like_then_unlike, "like + unlike via gRPC") * 2

    raw = database["bench_raw_likes"]

    async def raw_toggle(i: int) -> None:
        key = f"{TENANT}:knowledge:{item}:u-liker-{i}"
        await raw.update_one(
            {"_id": key, "active": {"$ne": True}}, {"$set": {"active": True}}, upsert=True
        )
        await raw.update_one({"_id": key, "active": True}, {"$set": {"active": False}})

    baseline = await _in_flight(likers, raw_toggle, "raw conditional writes") * 2
    return {"like_unlike_per_s": service, "raw_write_per_s": baseline}


async def thread_phase(
    stub: CommunityServiceAsyncStub,
    database: Any,
    store: CommunityStore,
    comments: int,
    samples: int,
) -> dict[str, float]:
    owner = _metadata("u-owner")
    space = (
        await stub.CreateSpace(
            pb.CreateSpaceRequest(
                name=f"Bench {uuid.uuid4().hex[:6]}", visibility=pb.SPACE_VISIBILITY_OPEN
            ),
            metadata=bearer_metadata(mint_dev_token(SECRET, "u-owner", TENANT, ["contributor"])),
        )
    ).space
    item = f"k-thread-{uuid.uuid4().hex[:6]}"
    await target_published(
        store,
        TargetKind.KNOWLEDGE,
        item,
        owner_id="u-author",
        space_id=space.space_id,
        title="A busy thread",
        skill_ids=[],
        published_at=datetime.now(UTC),
    )
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)
    times = [start + timedelta(milliseconds=10 * i) for i in range(comments)]
    ids = [f"c-{i:08d}-{uuid.uuid4().hex[:6]}" for i in range(comments)]
    collection = database[COMMENTS]
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"seeding {comments} comments", total=comments)
        for first in range(0, comments, 5000):
            batch = [
                {
                    **comment_document(
                        ids[i],
                        kind=TargetKind.KNOWLEDGE,
                        target_id=item,
                        parent_comment_id=None,
                        space_id=space.space_id,
                        author_id=f"u-{i % 500}",
                        body=f"Comment number {i}: a sentence or two of *Markdown* text.",
                        mentions=[],
                        at=times[i],
                    ),
                    "tenant_id": TENANT,
                }
                for i in range(first, min(first + 5000, comments))
            ]
            await collection.insert_many(batch, ordered=False)
            progress.advance(task, len(batch))
    target = pb.Target(type=pb.TARGET_TYPE_KNOWLEDGE, id=item)
    positions = [random.randrange(comments) for _ in range(samples - 1)]  # noqa: S311
    service: list[float] = []
    raw: list[float] = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("thread pages", total=samples * 2)
        for position in [None, *positions]:
            token = (
                ""
                if position is None
                else encode_page_token(
                    TimeCursor(after_time=times[position], after_id=ids[position])
                )
            )
            started = time.perf_counter()
            page = await stub.ListComments(
                pb.ListCommentsRequest(target=target, page_size=PAGE, page_token=token),
                metadata=owner,
            )
            service.append((time.perf_counter() - started) * 1000)
            expected = min(PAGE, comments - (0 if position is None else position + 1))
            assert len(page.comments) == expected, (len(page.comments), expected)
            progress.advance(task)

            query: dict[str, Any] = {
                "tenant_id": TENANT,
                "target_type": "knowledge",
                "target_id": item,
                "hidden": False,
            }
            if position is not None:
                query["$or"] = [
                    {"create_time": {"$gt": times[position]}},
                    {"create_time": times[position], "_id": {"$gt": ids[position]}},
                ]
            started = time.perf_counter()
            await (
                collection.find(query)
                .sort([("create_time", 1), ("_id", 1)])
                .limit(PAGE + 1)
                .to_list()
            )
            raw.append((time.perf_counter() - started) * 1000)
            progress.advance(task)
    return {
        "list_p50_ms": statistics.median(service),
        "list_p99_ms": _percentile(service, 0.99),
        "raw_find_p50_ms": statistics.median(raw),
        "raw_find_p99_ms": _percentile(raw, 0.99),
    }


async def run(
    kafka: str, mongo_uri: str, likers: int, comments: int, samples: int, phases: set[str]
) -> dict[str, float]:
    database_name = f"bench_community_{uuid.uuid4().hex[:8]}"
    settings = load_settings(
        CommunitySettings,
        kafka_bootstrap_servers=kafka,
        mongo_uri=mongo_uri,
        mongo_database=database_name,
        grpc_port=0,
        http_port=0,
        dev_mode=True,
        jwt_hs256_secret=SECRET,
        # A stable group: a new one would first replay every event the topics hold.
        consumer_group="agora-community-bench",
        rate_limit_likes=1_000_000,
        rate_limit_posts=1_000_000,
        log_level="WARNING",
    )
    runtime = await build(settings)
    await runtime.start()
    client = create_mongo_client(mongo_uri)
    database = client[database_name]
    try:
        store = CommunityStore(runtime.database, TENANT, runtime.relay.notify)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{runtime.grpc_port}") as channel:
            stub = CommunityServiceStub(channel)
            item = f"k-liked-{uuid.uuid4().hex[:6]}"
            await target_published(
                store,
                TargetKind.KNOWLEDGE,
                item,
                owner_id="u-author",
                space_id=None,
                title="A liked item",
                skill_ids=[],
                published_at=datetime.now(UTC),
            )
            results: dict[str, float] = {}
            if "likes" in phases:
                results.update(await like_phase(stub, database, item, likers))
            if "thread" in phases:
                results.update(await thread_phase(stub, database, store, comments, samples))
    finally:
        await runtime.stop()
        await client.drop_database(database_name)
        await client.close()
    if "likes" in phases:
        results["like_vs_raw_write"] = results["like_unlike_per_s"] / results["raw_write_per_s"]
    if "thread" in phases:
        results["list_p50_vs_raw"] = results["list_p50_ms"] / results["raw_find_p50_ms"]
    return results


def report(results: dict[str, float], likers: int, comments: int, samples: int) -> None:
    table = Table(
        title=f"community: {likers} likers, thread of {comments:,} comments, {samples} pages"
    )
    table.add_column("measure")
    table.add_column("service", justify="right")
    table.add_column("baseline (same run)", justify="right")
    table.add_column("ratio", justify="right")
    rows: list[tuple[str, str, str, str]] = []
    if "like_unlike_per_s" in results:
        rows.append(
            (
                "like/unlike via gRPC (ops/s)",
                f"{results['like_unlike_per_s']:,.0f}",
                f"{results['raw_write_per_s']:,.0f} raw writes/s",
                f"{results['like_vs_raw_write']:.2f}x",
            )
        )
    if "list_p50_ms" in results:
        rows.extend(
            [
                (
                    "ListComments page of 50, p50 (ms)",
                    f"{results['list_p50_ms']:,.1f}",
                    f"{results['raw_find_p50_ms']:,.1f} raw find",
                    f"{results['list_p50_vs_raw']:.2f}x",
                ),
                (
                    "ListComments page of 50, p99 (ms)",
                    f"{results['list_p99_ms']:,.1f}",
                    f"{results['raw_find_p99_ms']:,.1f} raw find",
                    "",
                ),
            ]
        )
    for row in rows:
        table.add_row(*row)
    console.print(table)
    REPORTS.mkdir(parents=True, exist_ok=True)
    meta = {"likers": likers, "comments": comments, "samples": samples, "concurrency": CONCURRENCY}
    (REPORTS / "community.json").write_text(json.dumps({**meta, **results}, indent=2) + "\n")
    lines = [
        f"# community benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"{likers} likers, a thread of {comments:,} comments, {samples} page samples, "
        f"{CONCURRENCY} calls in flight.",
        "",
        "| measure | service | baseline (same run) | ratio |",
        "|---|---:|---:|---:|",
        *(f"| {' | '.join(row)} |" for row in rows),
        "",
    ]
    (REPORTS / "community.md").write_text("\n".join(lines))
    console.print(f"report: {REPORTS / 'community.json'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small run (300 likers, 10k comments)")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    parser.add_argument("--likers", type=int, default=None)
    parser.add_argument("--comments", type=int, default=None)
    parser.add_argument("--samples", type=int, default=None)
    parser.add_argument(
        "--phase", choices=["all", "likes", "thread"], default="all", help="what to measure"
    )
    parser.add_argument("--kafka", default=os.environ.get("AGORA_TEST_KAFKA", "127.0.0.1:29092"))
    parser.add_argument(
        "--mongo", default=os.environ.get("AGORA_TEST_MONGO_URI", "mongodb://127.0.0.1:27028/")
    )
    # tools/bench.sh passes the same arguments to every benchmark; ignore others' flags.
    args, _ = parser.parse_known_args()
    likers = args.likers or (30 if args.smoke else 300 if args.quick else 1000)
    comments = args.comments or (500 if args.smoke else 10_000 if args.quick else 100_000)
    samples = args.samples or (10 if args.quick else 12)
    phases = {"likes", "thread"} if args.phase == "all" else {args.phase}
    results = asyncio.run(run(args.kafka, args.mongo, likers, comments, samples, phases))
    report(results, likers, comments, samples)


if __name__ == "__main__":
    main()
