"""Benchmark of the gamification service against raw baselines measured in the same run.

    python bench/gamification.py [--quick] [--events N] [--learners N]

Against the broker and database of AGORA_TEST_KAFKA / AGORA_TEST_MONGO_URI:

- sustained events/s handled by ONE instance and by TWO instances in one consumer group
  (knowledge.completed events for random learners: rules, ledger, profile, level,
  leaderboard scores, processed-id record), each beside raw aiokafka consumption of
  the same records (ratio);
- GetLeaderboard top-10 and "around me" (5 neighbours) latency (p50/p99, through the
  real gRPC server) with N learners on the board, beside a raw pymongo ``find_one`` by
  ``_id`` on the same collection (the unit a board read is made of) and the previous
  version's scan queries (sorted top-10 find; count of better scores), and a check that
  every answer is exact (ranks, order, neighbours against the sorted board). The board
  is bulk-loaded with the documents the service's write path leaves (score documents,
  buckets, range counts, directory), then ``--moves`` learners gain points through the
  service's own ``BoardWriter.place`` (moves/s reported) before the reads; seeding all
  100,000 through the write path (six writes each) or through Kafka events would take
  hours on the shared 2-core FerretDB.

Prints a table and writes ``bench/reports/gamification.json`` and ``.md``. At the end
the benchmark's records are deleted from the consumed topic (``delete_records`` up to
the offsets it produced), so test runs on the same local broker never replay them.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from rich.console import Console
from rich.table import Table

from agora.gamification.v1 import gamification_pb2 as pb
from agora.gamification.v1 import gamification_pb2_grpc
from agora_contracts.events.domains import learning
from agora_core.messaging.events import OutgoingEvent
from agora_core.runtime import ServiceRuntime
from agora_core.storage import Document, create_mongo_client, ensure_indexes
from agora_core.testing.event_tap import start_group_at_end
from agora_core.testing.grpc_assertions import caller
from agora_core.testing.service_harness import channel_to, test_settings
from agora_gamification.adapters.board_index import (
    MongoBoardStore,
    bucket_key,
    directory_key,
    range_key,
    score_key,
)
from agora_gamification.adapters.mongo import INDEXES, Score
from agora_gamification.bootstrap import build
from agora_gamification.domain.standings import (
    Entry,
    Placement,
    point_field,
    range_field,
    range_of,
)
from agora_gamification.entrypoints.events import consumed_topics
from agora_gamification.service_layer.boards import BoardWriter
from agora_gamification.settings import GamificationSettings
from bench import reports_dir

REPORTS = reports_dir()
TOPIC = learning.COMPLETIONS_TOPIC
console = Console()


def completions(tenant: str, count: int, learners: int) -> list[OutgoingEvent]:
    """``count`` completions by random learners of one tenant."""
    rng = random.Random(7)  # noqa: S311 - reproducible load, not security
    at = dt.datetime.now(dt.UTC)
    return [
        OutgoingEvent.create(
            learning.KnowledgeCompletedV1(
                learner_id=f"u{rng.randrange(learners)}",
                item_id=f"k-{i}",
                item_type=rng.choice(["video", "scorm", "document", "quiz"]),
                item_title=f"Item {i}",
                author_id=f"author-{i % 50}",
                completed_at=at,
            ),
            source="/agora/catalog",
            subject=f"k-{i}",
            tenant_id=tenant,
        )
        for i in range(count)
    ]


async def _end_offsets(consumer: AIOKafkaConsumer, kafka: str) -> dict[TopicPartition, int]:
    producer = AIOKafkaProducer(bootstrap_servers=kafka)
    await producer.start()
    try:
        # The producer fetches the topic's metadata on demand; the consumer would not.
        partitions = [TopicPartition(TOPIC, p) for p in await producer.partitions_for(TOPIC)]
    finally:
        await producer.stop()
    return dict(await consumer.end_offsets(partitions))


async def end_offsets(kafka: str) -> dict[TopicPartition, int]:
    """The consumed topic's end offsets now."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        return await _end_offsets(consumer, kafka)
    finally:
        await consumer.stop()


async def produce(kafka: str, events: list[OutgoingEvent]) -> dict[TopicPartition, int]:
    """Pipelined produce; returns the end offsets before the batch (where it starts)."""
    start = await end_offsets(kafka)
    producer = AIOKafkaProducer(bootstrap_servers=kafka, linger_ms=10, acks="all")
    await producer.start()
    try:
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
    finally:
        await producer.stop()
    return start


async def raw_consume(kafka: str, start: dict[TopicPartition, int], count: int) -> float:
    """Baseline: a plain aiokafka consumer reading the same ``count`` records (events/s)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(start))
        for partition, offset in start.items():
            consumer.seek(partition, offset)
        seen = 0
        began = time.perf_counter()
        while seen < count:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            seen += sum(len(records) for records in batch.values())
        return count / (time.perf_counter() - began)
    finally:
        await consumer.stop()


async def handled_rate(
    kafka: str, mongo_uri: str, instances: int, count: int, learners: int
) -> tuple[float, float]:
    """(service events/s, raw consume events/s) for ``count`` events and ``instances``."""
    database = f"bench_gam_{uuid.uuid4().hex[:8]}"
    group = f"bench-gamification-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(kafka, group, consumed_topics())
    settings = test_settings(
        GamificationSettings,
        kafka=kafka,
        mongo_uri=mongo_uri,
        database=database,
        consumer_group=group,
        outbox_poll_interval_ms=1000,
        log_level="WARNING",
    )
    runtimes = [await build(settings) for _ in range(instances)]
    for runtime in runtimes:
        await runtime.start()
    try:
        for runtime in runtimes:
            await runtime.consumers[0].wait_for_assignment(120)
        tenant = f"bench-{uuid.uuid4().hex[:8]}"
        events = completions(tenant, count, learners)
        began = time.perf_counter()
        start = await produce(kafka, events)
        processed = runtimes[0].database["processed_events"]
        with console.status(f"{instances} instance(s) handling {count} events"):
            while await processed.count_documents({"tenant_id": tenant}) < count:  # noqa: ASYNC110 - polling the database, no event to wait on
                await asyncio.sleep(0.5)
        rate = count / (time.perf_counter() - began)
        baseline = await raw_consume(kafka, start, count)
        return rate, baseline
    finally:
        for runtime in runtimes:
            await runtime.stop()
        client = create_mongo_client(mongo_uri)
        await client.drop_database(database)
        await client.close()


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def timed_ms(calls: int, call: Callable[[int], Awaitable[Any]]) -> list[float]:
    samples = []
    for i in range(calls):
        began = time.perf_counter()
        await call(i)
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def seeded_scores(learners: int, *, prefix: str = "u") -> list[Score]:
    """``learners`` all-time scores: points uniform in 0..4999 (five range documents,
    about 20 learners per points value), attainment times spread over a month;
    learner ids ``<prefix><n>``."""
    rng = random.Random(11)  # noqa: S311 - reproducible load, not security
    return [
        Score(
            board="tenant",
            period="all",
            learner_id=f"{prefix}{n}",
            points=rng.randrange(5000),
            reached_at=f"2026-11-{1 + n % 28:02d}T10:{n % 60:02d}:00+00:00",
            public=True,
        )
        for n in range(learners)
    ]


def index_documents(tenant: str, scores: list[Score]) -> tuple[list[Document], list[Document]]:
    """The score documents and rank index ``BoardWriter.place`` leaves for ``scores``
    (each learner placed once, move seq 1, nothing pending), built in memory so that
    100,000 learners load in seconds; the moves made afterwards through the real write
    path and the exactness checks prove the shapes are the service's."""
    score_docs: list[Document] = []
    buckets: dict[int, list[dict[str, Any]]] = {}
    for score in scores:
        placement = Placement(score.points, Entry(score.reached_at, score.learner_id, 1))
        score_docs.append(
            {
                "_id": score_key(tenant, score.board, score.period, score.learner_id),
                "tenant_id": tenant,
                "board": score.board,
                "period": score.period,
                "learner_id": score.learner_id,
                "points": score.points,
                "reached_at": score.reached_at,
                "public": True,
                "member": True,
                "v": 1,
                "seq": 1,
                "on": placement.document(),
            }
        )
        buckets.setdefault(score.points, []).append(placement.entry.document())
    index: list[Document] = []
    ranges: dict[int, dict[str, dict[str, int]]] = {}
    for points, entries in buckets.items():
        index.append(
            {
                "_id": bucket_key(tenant, "tenant", "all", points),
                "tenant_id": tenant,
                "board": "tenant",
                "period": "all",
                "points": points,
                "entries": entries,
                "rev": len(entries),
            }
        )
        cells = ranges.setdefault(range_of(points), {})
        cells[point_field(points)] = {"n": len(entries), "r": len(entries)}
    directory: dict[str, dict[str, int]] = {}
    for range_index, cells in ranges.items():
        index.append(
            {
                "_id": range_key(tenant, "tenant", "all", range_index),
                "tenant_id": tenant,
                "c": cells,
                "rev": len(cells),
            }
        )
        total = sum(cell["n"] for cell in cells.values())
        directory[range_field(range_index)] = {"n": total, "r": len(cells)}
    index.append(
        {
            "_id": directory_key(tenant, "tenant", "all"),
            "tenant_id": tenant,
            "c": directory,
            "rev": 1,
        }
    )
    return score_docs, index


async def bulk_load(database: AsyncDatabase[Document], tenant: str, scores: list[Score]) -> float:
    """Insert the documents of :func:`index_documents`; documents/s."""
    score_docs, index = index_documents(tenant, scores)
    began = time.perf_counter()
    with console.status(f"loading {len(score_docs)} scores and {len(index)} index documents"):
        for collection, docs in (("scores", score_docs), ("board_index", index)):
            for at in range(0, len(docs), 1000):
                await database[collection].insert_many(docs[at : at + 1000], ordered=False)
    return (len(score_docs) + len(index)) / (time.perf_counter() - began)


async def moves_through_the_write_path(
    writer: BoardWriter, tenant: str, seeded: list[Score], count: int, concurrency: int
) -> tuple[list[Score], float]:
    """``count`` learners gain points through ``BoardWriter.place`` (score document,
    pending move, two buckets, range counts, directory, clear), ``concurrency`` at a
    time; returns the board's scores afterwards and the moves/s."""
    rng = random.Random(13)  # noqa: S311 - reproducible load, not security
    latest = {s.learner_id: s for s in seeded}
    movers = rng.sample(sorted(latest), min(count, len(latest)))
    gate = asyncio.Semaphore(concurrency)
    began = time.perf_counter()

    async def move(learner: str) -> None:
        old = latest[learner]
        # Mostly small gains (same range), some large ones (another range document).
        gain = rng.choice([5, 10, 10, 15, 25, 50, 1000])
        new = Score("tenant", "all", learner, old.points + gain, "2026-11-29T12:00:00+00:00", True)
        latest[learner] = new
        async with gate:
            await writer.place(tenant, new, 2)

    with console.status(f"{len(movers)} moves through BoardWriter.place"):
        async with asyncio.TaskGroup() as group:
            for learner in movers:
                group.create_task(move(learner))
    return list(latest.values()), len(movers) / (time.perf_counter() - began)


def scan_queries(scores: AsyncCollection[Document], tenant: str) -> tuple[Any, Any]:
    """The queries the previous version served boards with (full scans on FerretDB)."""
    base = {"tenant_id": tenant, "board": "tenant", "period": "all", "public": True}

    async def scan_top(_: int) -> None:
        await (
            scores.find(base)
            .sort([("points", -1), ("reached_at", 1), ("learner_id", 1)])
            .limit(10)
            .to_list()
        )

    async def scan_rank(_: int) -> None:
        mine = await scores.find_one({"_id": f"{tenant}|tenant|all|u1"})
        assert mine is not None
        points, reached = mine["points"], mine["reached_at"]
        await scores.count_documents(
            {
                **base,
                "$or": [
                    {"points": {"$gt": points}},
                    {"points": points, "reached_at": {"$lt": reached}},
                    {"points": points, "reached_at": reached, "learner_id": {"$lt": "u1"}},
                ],
            }
        )

    return scan_top, scan_rank


async def leaderboard_latency(
    kafka: str,
    mongo_uri: str,
    learners: int,
    calls: int,
    scan_calls: int,
    moves: int,
    concurrency: int,
) -> dict[str, Any]:
    """p50/p99 of top-10 and around-me at ``learners`` ranked people, beside a raw
    ``_id`` read and the previous version's scan queries; checks the answers are exact."""
    database = f"bench_gam_lb_{uuid.uuid4().hex[:8]}"
    tenant = f"bench-lb-{uuid.uuid4().hex[:8]}"
    settings = test_settings(
        GamificationSettings,
        kafka=kafka,
        mongo_uri=mongo_uri,
        database=database,
        consumer_group=f"bench-gamification-lb-{uuid.uuid4().hex[:8]}",
        log_level="WARNING",
    )
    runtime: ServiceRuntime = await build(settings)
    # Only the API and the database: starting the whole runtime would also start its
    # consumer, which would replay the topics' earlier records into this database.
    for name, specs in INDEXES.items():
        await ensure_indexes(runtime.database[name], specs)
    assert runtime.api is not None
    await runtime.api.start()
    runtime.grpc_port = runtime.api.port
    scores_collection = runtime.database["scores"]
    seeded = seeded_scores(learners)
    writer = BoardWriter(MongoBoardStore(runtime.database), lambda: dt.datetime.now(dt.UTC))
    results: dict[str, Any] = {}
    try:
        results["bulk_load_docs_per_s"] = round(
            await bulk_load(runtime.database, tenant, seeded), 1
        )
        board, moves_per_s = await moves_through_the_write_path(
            writer, tenant, seeded, moves, concurrency
        )
        results["moves"] = moves
        results["moves_per_s"] = round(moves_per_s, 1)
        order = sorted(board, key=lambda s: (-s.points, s.reached_at, s.learner_id))
        rank_of = {s.learner_id: i + 1 for i, s in enumerate(order)}
        async with channel_to(runtime) as channel:
            stub = gamification_pb2_grpc.GamificationServiceStub(channel)
            exact = True

            async def top(_: int) -> None:
                nonlocal exact
                response = await stub.GetLeaderboard(
                    pb.GetLeaderboardRequest(
                        scope=pb.BOARD_SCOPE_TENANT, period=pb.PERIOD_ALL_TIME, top_n=10
                    ),
                    metadata=caller(tenant=tenant, subject="u0"),
                )
                got = [(e.rank, e.learner_id, e.points) for e in response.top]
                want = [(i + 1, s.learner_id, s.points) for i, s in enumerate(order[:10])]
                exact = exact and got == want and response.ranked_count == learners

            async def around(i: int) -> None:
                nonlocal exact
                me = f"u{(i * 7919) % learners}"
                response = await stub.GetLeaderboard(
                    pb.GetLeaderboardRequest(
                        scope=pb.BOARD_SCOPE_TENANT,
                        period=pb.PERIOD_ALL_TIME,
                        top_n=1,
                        around_me=True,
                        neighbours=5,
                    ),
                    metadata=caller(tenant=tenant, subject=me),
                )
                rank = rank_of[me]
                window = order[max(0, rank - 6) : rank + 5]
                exact = (
                    exact
                    and response.me.rank == rank
                    and [e.learner_id for e in response.around_me] == [s.learner_id for s in window]
                    and [e.rank for e in response.around_me]
                    == list(range(max(1, rank - 5), max(1, rank - 5) + len(window)))
                )

            async def raw_id_read(i: int) -> None:
                await scores_collection.find_one(
                    {"_id": f"{tenant}|tenant|all|u{(i * 7919) % learners}", "tenant_id": tenant}
                )

            scan_top, scan_rank = scan_queries(scores_collection, tenant)
            with console.status("leaderboard latency"):
                samples = {
                    "top10": await timed_ms(calls, top),
                    "around_me": await timed_ms(calls, around),
                    "raw_id_read": await timed_ms(calls, raw_id_read),
                    "scan_top10": await timed_ms(scan_calls, scan_top),
                    "scan_rank_count": await timed_ms(scan_calls, scan_rank),
                }
            results["exact"] = exact
    finally:
        await runtime.api.stop(0)
        await runtime.mongo.close()
        client = create_mongo_client(mongo_uri)
        await client.drop_database(database)
        await client.close()
    results.update(
        {
            f"{name}_{p}_ms": round(percentile(values, pct), 2)
            for name, values in samples.items()
            for p, pct in (("p50", 50), ("p99", 99))
        }
    )
    results["latency_calls"] = calls
    results["scan_calls"] = scan_calls
    return results


async def forget_bench_records(kafka: str) -> None:
    """Delete everything up to now from the consumed topic (local broker hygiene)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        offsets = await end_offsets(kafka)
        await admin.delete_records({tp: RecordsToDelete(o) for tp, o in offsets.items()})
    finally:
        await admin.close()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    kafka = args.kafka
    mongo_uri = args.mongo
    results: dict[str, Any] = {"events": args.events, "learners": args.learners}
    one, one_raw = await handled_rate(kafka, mongo_uri, 1, args.events, args.learners)
    results.update(one_instance_eps=round(one, 1), one_instance_raw_eps=round(one_raw, 1))
    two, two_raw = await handled_rate(kafka, mongo_uri, 2, args.events, args.learners)
    results.update(two_instances_eps=round(two, 1), two_instances_raw_eps=round(two_raw, 1))
    results.update(
        await leaderboard_latency(
            kafka,
            mongo_uri,
            args.learners,
            args.calls,
            args.scan_calls,
            args.moves,
            args.concurrency,
        )
    )
    if not args.keep_records:
        await forget_bench_records(kafka)
    return results


def report(results: dict[str, Any]) -> None:
    table = Table(
        title=f"gamification ({results['events']} events, {results['learners']} learners)"
    )
    table.caption = "the same run's baseline; ratio = service / baseline"
    table.add_column("measure")
    table.add_column("service", justify="right")
    table.add_column("baseline", justify="right")
    table.add_column("ratio", justify="right")
    rows = [
        ("events/s, 1 instance", "one_instance_eps", "one_instance_raw_eps"),
        ("events/s, 2 instances", "two_instances_eps", "two_instances_raw_eps"),
        ("top-10 p50 ms", "top10_p50_ms", "raw_id_read_p50_ms"),
        ("top-10 p99 ms", "top10_p99_ms", "raw_id_read_p99_ms"),
        ("around-me p50 ms", "around_me_p50_ms", "raw_id_read_p50_ms"),
        ("around-me p99 ms", "around_me_p99_ms", "raw_id_read_p99_ms"),
        ("previous top-10 scan p50 ms", "scan_top10_p50_ms", "raw_id_read_p50_ms"),
        ("previous rank-count scan p50 ms", "scan_rank_count_p50_ms", "raw_id_read_p50_ms"),
    ]
    markdown = ["| measure | service | baseline | ratio |", "|---|---:|---:|---:|"]
    for label, key, baseline in rows:
        ratio = results[key] / results[baseline] if results[baseline] else 0.0
        cells = (label, f"{results[key]}", f"{results[baseline]}", f"{ratio:.3f}")
        table.add_row(*cells)
        markdown.append("| " + " | ".join(cells) + " |")
    console.print(table)
    notes = [
        f"ranks exact at {results['learners']} learners: {results['exact']}; "
        f"board bulk-loaded ({results['bulk_load_docs_per_s']} docs/s), then "
        f"{results['moves']} score changes through BoardWriter.place at "
        f"{results['moves_per_s']} moves/s",
        "baselines: raw aiokafka consumption of the same records; one raw pymongo find_one "
        "by _id on the same scores collection (a board read costs a few of those); the "
        "previous version's scan queries on the same data",
    ]
    for note in notes:
        console.print(note)
        markdown.append("")
        markdown.append(note)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "gamification.json").write_text(json.dumps(results, indent=2) + "\n")
    (REPORTS / "gamification.md").write_text("\n".join(markdown) + "\n")
    console.print(f"report: {REPORTS / 'gamification.json'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", "--smoke", action="store_true", help="small run (smoke test)")
    parser.add_argument("--events", type=int, default=600)
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=300, help="samples per leaderboard read")
    parser.add_argument(
        "--scan-calls", type=int, default=2, help="samples of the previous scan queries"
    )
    parser.add_argument(
        "--moves", type=int, default=2000, help="score changes through BoardWriter after seeding"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="moves made at once")
    parser.add_argument("--keep-records", action="store_true")
    parser.add_argument("--kafka", default=os.environ.get("AGORA_TEST_KAFKA", "127.0.0.1:29092"))
    parser.add_argument(
        "--mongo", default=os.environ.get("AGORA_TEST_MONGO_URI", "mongodb://127.0.0.1:27028/")
    )
    args = parser.parse_args()
    if args.quick:
        args.events, args.learners, args.calls, args.moves = 100, 5000, 100, 300
    report(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
