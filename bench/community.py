"""Benchmark of the community service on PostgreSQL beside raw baselines measured in
the same run.

    python -m bench.community [--quick] [--kafka HOST:PORT] [--postgres ADMIN_DSN]

Starts the real service in-process (gRPC server, batch consumer, outbox relay) on a
throwaway database, seeds it server-side (``bench/seeds/community.py``; full size:
1,000,000 comments in 1,000 spaces, the largest thread 100,000, 100,000 popularity
rows; ``--quick``: 50,000 / 100 / 10,000) and measures:

- thread page: ListComments of 50 at random keyset positions of the largest thread,
  p50/p99 over gRPC, beside the repository's own SQL sent raw at the same positions,
  interleaved;
- like/unlike: N people each like then unlike an item over gRPC (32 calls in flight),
  ops/s and p99; beside the same state change as one raw statement per call;
- trending: ListTrending top-20 p50/p99 over gRPC beside its raw SQL;
- consumers: M like events published to the likes topic, until the service's consumer
  group has committed past them (each poll commits after its transaction: marks,
  popularity, popularity.changed rows), every one then checked marked; beside raw
  aiokafka consumption of the same records.

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
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from rich.console import Console

from agora.community.v1 import community_pb2 as pb
from agora.community.v1.community_pb2_grpc import CommunityServiceStub
from agora_community.adapters.postgres.comments import thread_sql
from agora_community.adapters.postgres.likes import TRENDING
from agora_community.bootstrap import build
from agora_community.entrypoints.events import TOPICS
from agora_community.service_layer.paging import TimeCursor
from agora_community.settings import CommunitySettings
from agora_contracts.events.domains.community import LIKES_TOPIC, LikeAddedV1
from agora_contracts.events.domains.privacy import ERASURES_TOPIC
from agora_core.grpc.client import bearer_metadata
from agora_core.grpc.dev_tokens import mint_dev_token
from agora_core.messaging.events import OutgoingEvent
from agora_core.pagination import encode_page_token
from agora_core.postgres import Database, create_pool
from agora_core.testing import eventually
from agora_core.testing.event_tap import start_group_at_end
from agora_core.testing.grpc_assertions import DEV_SECRET
from agora_core.testing.postgres import (
    create_test_database,
    drop_test_database,
    dsn_for_database,
    ensure_test_role,
)
from agora_core.testing.service_harness import channel_to, running_service, test_settings
from bench import SMOKE_HELP, add_infrastructure_arguments, reports_dir
from bench import community_report as report_
from bench.platform_report import summary
from bench.seeds.community import BIG, FULL, QUICK, SMOKE, TENANT, Sizes, seed

CONCURRENCY = 32
PAGE = 50
THREAD_START = datetime(2026, 11, 1, tzinfo=UTC)
console = Console()


def metadata(user: str) -> tuple[tuple[str, str], ...]:
    return bearer_metadata(mint_dev_token(DEV_SECRET, user, TENANT, ["learner"]))


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    began = time.perf_counter()
    await call()
    return (time.perf_counter() - began) * 1000


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


async def in_flight(count: int, work: Callable[[int], Awaitable[list[float]]]) -> Any:
    """``work(i)`` for every i < count, CONCURRENCY at once: ops/s and latency."""
    queue = iter(range(count))
    latencies: list[float] = []

    async def worker() -> None:
        for i in queue:
            latencies.extend(await work(i))

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    seconds = time.perf_counter() - began
    return {"ops_per_s": round(len(latencies) / seconds, 1), "latency_ms": summary(latencies)}


async def likes(stub: Any, database: Database, likers: int, items: int) -> Any:
    tokens = [metadata(f"u-liker-{i}") for i in range(likers)]

    async def like_then_unlike(i: int) -> list[float]:
        target = pb.Target(type=pb.TARGET_TYPE_KNOWLEDGE, id=f"kl-{i % items}")

        async def like() -> None:
            assert (await stub.Like(pb.LikeRequest(target=target), metadata=tokens[i])).changed

        async def unlike() -> None:
            response = await stub.Unlike(pb.UnlikeRequest(target=target), metadata=tokens[i])
            assert response.changed

        return [await timed(like), await timed(unlike)]

    async def raw_toggle(i: int) -> list[float]:
        key = (TENANT, "knowledge", f"kl-{i % items}", f"raw-{i}")

        async def like() -> None:
            async with database.unit_of_work(TENANT) as uow:
                await uow.connection.execute(
                    "INSERT INTO likes AS l (tenant_id, target_type, target_id, user_id, like_id,"
                    " active, changed_at) VALUES (%s, %s, %s, %s, gen_random_uuid(), true, now())"
                    " ON CONFLICT (tenant_id, target_type, target_id, user_id)"
                    " DO UPDATE SET active = true WHERE NOT l.active",
                    key,
                )

        async def unlike() -> None:
            async with database.unit_of_work(TENANT) as uow:
                await uow.connection.execute(
                    "UPDATE likes SET active = false WHERE tenant_id = %s AND target_type = %s"
                    " AND target_id = %s AND user_id = %s AND active",
                    key,
                )

        return [await timed(like), await timed(unlike)]

    return {
        "grpc": await in_flight(likers, like_then_unlike),
        "raw_sql": await in_flight(likers, raw_toggle),
    }


async def count(database: Database, query: str, params: tuple[Any, ...]) -> int:
    async with database.unit_of_work(TENANT) as uow:
        cursor = await uow.connection.execute(query, params)
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def settled(database: Database) -> None:
    """Until the outbox is empty and the consumer has had time to catch up with it."""

    async def empty() -> bool:
        return await count(database, "SELECT count(*) FROM outbox", ()) == 0

    await eventually(empty, timeout=600, interval=0.5)
    await asyncio.sleep(3)


async def consumers(kafka: str, database: Database, group: str, events: int, items: int) -> Any:
    await settled(database)
    batch = [
        OutgoingEvent.create(
            LikeAddedV1(
                like_id=str(uuid.uuid4()),
                target_type="knowledge",
                target_id=f"k-{i % items}",
                liker_id=f"u-fan-{i}",
                target_owner_id="u-author",
                liked_at=datetime.now(UTC),
            ),
            source="/agora/community",
            subject=f"k-{i % items}",
            tenant_id=TENANT,
            actor_id=f"u-fan-{i}",
        )
        for i in range(events)
    ]
    ids = [e.event_id for e in batch]
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all", linger_ms=5)
    await producer.start()
    partitions = sorted(await producer.partitions_for(LIKES_TOPIC))
    since = await _end_offsets(kafka, partitions)
    began = time.perf_counter()
    try:
        sent = [
            await producer.send(
                e.topic,
                e.value,
                key=e.key.encode(),
                headers=[(k, v.encode()) for k, v in e.headers.items()],
            )
            for e in batch
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    # Done when the group's committed offsets reach the end: the consumer commits a
    # poll's offsets after its transaction (marks, popularity, outbox rows). Polling
    # the broker, not the database, keeps the measurement off the measured database.
    ends = await _end_offsets(kafka, partitions)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:

        async def committed() -> bool:
            offsets = await admin.list_consumer_group_offsets(group)
            return all(
                (done := offsets.get(TopicPartition(LIKES_TOPIC, p))) is not None
                and done.offset >= end
                for p, end in ends.items()
            )

        await eventually(committed, timeout=1800, interval=0.2)
    finally:
        await admin.close()
    service_s = time.perf_counter() - began
    raw_s = await _raw_consume(kafka, partitions, since, events)
    marks = (
        "SELECT count(*) FROM processed_events WHERE group_id = %s AND event_id = ANY(%s::uuid[])"
    )
    assert await count(database, marks, (group, ids)) == events, "every event marked handled"
    return {
        "events": events,
        "service_per_s": round(events / service_s, 1),
        "raw_consume_per_s": round(events / raw_s, 1),
    }


async def _end_offsets(kafka: str, partitions: list[int]) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await consumer.end_offsets([TopicPartition(LIKES_TOPIC, p) for p in partitions])
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        await consumer.stop()


async def _raw_consume(
    kafka: str, partitions: list[int], since: dict[int, int], events: int
) -> float:
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        assigned = [TopicPartition(LIKES_TOPIC, p) for p in partitions]
        consumer.assign(assigned)
        for tp in assigned:
            consumer.seek(tp, since[tp.partition])
        began = time.perf_counter()
        seen = 0
        while seen < events:
            got = await consumer.getmany(timeout_ms=1000, max_records=500)
            seen += sum(len(records) for records in got.values())
        return time.perf_counter() - began
    finally:
        await consumer.stop()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    sizes = SMOKE if args.smoke else QUICK if args.quick else FULL
    started = datetime.now(UTC)
    await ensure_test_role(args.postgres)
    name, dsn = await create_test_database(args.postgres, prefix="bench_community")
    group = f"agora-community-bench-{uuid.uuid4().hex[:8]}"
    await start_group_at_end(args.kafka, group, [*TOPICS, ERASURES_TOPIC])
    settings = test_settings(
        CommunitySettings,
        kafka=args.kafka,
        postgres_dsn=dsn,
        consumer_group=group,
        rate_limit_likes=1_000_000,
        rate_limit_posts=1_000_000,
        postgres_pool_max_size=16,
    )
    pool = create_pool(dsn, application_name="bench-raw", max_size=16)
    try:
        async with running_service(build, settings) as runtime, channel_to(runtime) as channel:
            console.log(f"seeding {sizes.comments:,} comments in {sizes.spaces:,} spaces")
            began = time.perf_counter()
            await seed(dsn_for_database(args.postgres, name), sizes)
            seed_s = time.perf_counter() - began
            console.log(f"seeded in {seed_s:.1f} s")
            await pool.open()
            database = Database(pool)
            stub = CommunityServiceStub(channel)
            result: dict[str, Any] = {
                "thread_page": await thread_pages(stub, database, args.samples, sizes),
                "trending_top20": await trending(stub, database, args.samples),
            }
            console.log("reads measured")
            result["like_unlike"] = await likes(stub, database, args.likers, sizes.spaces)
            console.log("likes measured")
            result["consumers"] = await consumers(
                args.kafka, database, group, args.events, sizes.spaces
            )
    finally:
        await pool.close()
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
        "concurrency": CONCURRENCY,
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
