"""Benchmark of the catalog on PostgreSQL beside raw baselines measured in the same run.

    python bench/catalog.py [--items N] [--learners N] [--team N] [--completions N]
                            [--searches N] [--quick]

Starts the catalog service as its own process (``python -m agora_catalog``: real gRPC
server, outbox relay, batch consumer; ``bench/processes``), as production runs it,
on a fresh PostgreSQL database of the test server (AGORA_TEST_POSTGRES_DSN) and the
test broker (AGORA_TEST_KAFKA), seeds it from this process with the catalog's own code
(``bench/seeding/catalog.py``: N published items in French and English, N learners with
progress, a team whose manager assigned them a path), then measures:

- search over gRPC (p50/p99 per kind of query: free text FR/EN, accents dropped,
  prefixes, typos, filters, each sort, page 2), after an untimed warm-up draw of the
  same mix (its own figures reported), while 50 completions/s flow through
  CompleteItem, beside a raw SQL full-text query of the same words in the same run
  (``websearch_to_tsquery`` + ``ts_rank`` on the same table, from this process, after
  the service's searches: run between them it emptied the buffers they read);
- completions handled by the catalog's consumer (knowledge.completed events advancing
  the team's path enrolments, one transaction per poll) beside raw aiokafka
  consumption of the same records (``bench/catalog_parts/completions.py``);
- the team's path progress (ListTeamAssignments, every page) and the skills report
  (GetSkillsReport) p50/p99;
- last, the completions' storage floor: as many completions of a second team on a
  second path of the same items, written by the consumer's own set handler with its
  processed marks, 500 per transaction, with no Kafka (``bench/processes/floor.py``):
  what bounds the consumer's ratio to raw consumption on this machine.

Writes ``bench/reports/catalog.json`` and ``catalog.png`` (``catalog_report.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import os
import random
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agora.catalog.v1 import catalog_pb2 as pb
from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceStub
from agora_catalog.domain.search import query_words
from agora_catalog.migrations import MIGRATIONS
from agora_contracts.events.schemas import load_platform_events
from agora_core.postgres import Database
from agora_core.testing.event_tap import start_group_at_end
from agora_core.testing.grpc_assertions import caller
from agora_core.testing.postgres import (
    create_test_database,
    drop_test_database,
    ensure_test_role,
    migrated_database,
)
from bench import SMOKE_HELP, add_infrastructure_arguments, catalog_report, report_stem, reports_dir
from bench.catalog_parts.completions import measure_completions, storage_floor
from bench.processes.postgres import checkpoint, outbox_emptied
from bench.processes.service import ServiceProcesses
from bench.seeding.catalog import (
    MANAGER,
    TENANT,
    Words,
    console,
    learner,
    search_mix,
    seed_items,
    seed_learners,
    seed_taxonomy,
    seed_team,
)

if TYPE_CHECKING:
    from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceAsyncStub

REPORTS = reports_dir()
RAW_SEARCH = """
SELECT item_id, title FROM items, websearch_to_tsquery('agora_fr', %(q)s) AS q
WHERE tenant_id = %(t)s AND status = 'published' AND search_vector @@ q
ORDER BY ts_rank(search_vector, q) DESC LIMIT 20
"""


async def _timed_ms(work: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await work()
    return (time.perf_counter() - started) * 1000


async def raw_search_ms(database: Database, words: str) -> float:
    async def run() -> None:
        async with database.unit_of_work(TENANT) as uow:
            await (await uow.connection.execute(RAW_SEARCH, {"q": words, "t": TENANT})).fetchall()

    return await _timed_ms(run)


async def completions_flow(
    stub: CatalogServiceAsyncStub,
    item_ids: list[str],
    stop: asyncio.Event,
    per_s: float,
    done: list[int],
) -> None:
    """CompleteItem by seeded learners, started at ``per_s`` (up to 16 in flight) while
    the searches run, as learners finishing items do."""
    slots = asyncio.Semaphore(16)
    running: set[asyncio.Task[None]] = set()

    async def complete(n: int) -> None:
        try:
            who = caller(["learner"], tenant=TENANT, subject=learner(50_000 + n))
            request = pb.CompleteItemRequest(item_id=item_ids[n % len(item_ids)])
            await stub.CompleteItem(request, metadata=who)
            done[0] += 1
        finally:
            slots.release()

    n = 0
    began = time.perf_counter()
    while not stop.is_set():
        await slots.acquire()
        task = asyncio.create_task(complete(n))
        running.add(task)
        task.add_done_callback(running.discard)
        n += 1
        await asyncio.sleep(max(0.0, began + n / per_s - time.perf_counter()))
    await asyncio.gather(*running)


async def measure_search(
    stub: CatalogServiceAsyncStub, database: Database, item_ids: list[str], searches: int
) -> dict[str, Any]:
    """gRPC search latency per kind, then the raw SQL query of the same words.

    The raw queries run after the service's searches, not between them: each reads the
    body vector of every match (tens of MB for a common word), and run between them it
    emptied PostgreSQL's buffers of what the service reads, doubling the service's
    figures with a query no deployment runs (measured 2026-12-07, ``bench/README.md``).
    """
    reader = caller(["learner"], tenant=TENANT, subject="u-reader")
    # A warm-up draw of the same mix first, untimed by the goal (its figures are kept):
    # measured right after the seed, a search paid for reading the words' pages back
    # into PostgreSQL's buffers (same database, same draw: p99 46 ms on the first pass,
    # 33 ms on the second), which a service that has served searches before does not.
    warm_up = [
        await _timed_ms(functools.partial(stub.SearchItems, request, metadata=reader))
        for _, request in search_mix(random.Random(7), searches)  # noqa: S311 - benchmark data
    ]
    rng = random.Random(11)  # noqa: S311 - benchmark data
    by_kind: dict[str, list[float]] = {}
    words: list[str] = []
    text: list[float] = []
    stop, done = asyncio.Event(), [0]
    flow = asyncio.create_task(completions_flow(stub, item_ids, stop, 50.0, done))
    started = time.perf_counter()
    try:
        for n, (kind, request) in enumerate(search_mix(rng, searches)):
            response = pb.SearchItemsResponse()

            async def call(r: pb.SearchItemsRequest = request) -> None:
                nonlocal response
                response = await stub.SearchItems(r, metadata=reader)

            elapsed = await _timed_ms(call)
            by_kind.setdefault(kind, []).append(elapsed)
            if request.query and query_words(request.query):
                text.append(elapsed)
                words.append(request.query)
            if response.next_page_token and n % 3 == 0:
                page_two = pb.SearchItemsRequest()
                page_two.CopyFrom(request)
                page_two.page_token = response.next_page_token
                by_kind.setdefault("page 2 via token", []).append(
                    await _timed_ms(functools.partial(stub.SearchItems, page_two, metadata=reader))
                )
    finally:
        stop.set()
        await flow
    seconds = time.perf_counter() - started
    raw = [await raw_search_ms(database, query) for query in words]
    return {
        "by_kind": {k: catalog_report.latency(v) for k, v in by_kind.items()},
        "all": catalog_report.latency([x for v in by_kind.values() for x in v]),
        "warm_up": catalog_report.latency(warm_up),
        "text_grpc": catalog_report.latency(text),
        "text_raw_sql": catalog_report.latency(raw),
        "completions_during": done[0],
        "completions_per_s_during": round(done[0] / seconds, 1),
    }


async def measure_team(stub: CatalogServiceAsyncStub, rounds: int) -> dict[str, Any]:
    """The manager's view of the team's path progress, page by page, and the report.

    Also where the slowest page fell (round, page) and which garbage collections of
    this process ran during it: one page of 100 took 75-88 ms in four runs of seven
    (2026-12-07), none of them in this process; the service's own full collections
    were the cause (its start-up heap is frozen since, ``ServiceRuntime.start``).
    """
    manager = caller(["manager"], tenant=TENANT, subject=MANAGER)
    pages: list[float] = []
    reports: list[float] = []
    collected: list[int] = []
    slowest: dict[str, Any] = {"ms": -1.0}

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            collected.append(info["generation"])

    gc.callbacks.append(on_gc)
    try:
        for round_ in range(rounds):
            token, number = "", 0
            while True:
                response = pb.ListTeamAssignmentsResponse()

                async def page(t: str = token) -> None:
                    nonlocal response
                    response = await stub.ListTeamAssignments(
                        pb.ListTeamAssignmentsRequest(page_size=100, page_token=t),
                        metadata=manager,
                    )

                collected.clear()
                pages.append(await _timed_ms(page))
                number += 1
                if pages[-1] > slowest["ms"]:
                    slowest = {
                        "ms": pages[-1], "round": round_, "page": number,
                        "collections_in_this_process": list(collected),
                    }  # fmt: skip
                token = response.next_page_token
                if not token:
                    break
            reports.append(
                await _timed_ms(
                    lambda: stub.GetSkillsReport(pb.GetSkillsReportRequest(), metadata=manager)
                )
            )
    finally:
        gc.callbacks.remove(on_gc)
    return {
        "team_progress_page": catalog_report.latency(pages),
        "skills_report": catalog_report.latency(reports),
        "slowest_team_page": slowest,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    kafka, admin_dsn = args.kafka, args.postgres
    await ensure_test_role(admin_dsn)
    name, dsn = await create_test_database(admin_dsn, prefix="bench_catalog")
    group = f"bench-catalog-{uuid.uuid4().hex[:8]}"
    service = ServiceProcesses(
        "catalog",
        kafka=kafka,
        dsn=dsn,
        group=group,
        count=1,
        logs=REPORTS,
        settings={"POSTGRES_POOL_MAX_SIZE": "16"},
    )
    results: dict[str, Any] = {}
    try:
        await start_group_at_end(kafka, group, load_platform_events().topics())
        await service.start()  # migrates the database, then serves (its own process)
        async with migrated_database(dsn, MIGRATIONS, max_size=16) as database:
            await seed_taxonomy(database)
            rng = random.Random(42)  # noqa: S311 - reproducible benchmark data
            began = time.perf_counter()
            item_ids = await seed_items(database, args.items, rng, Words(rng))
            results["seed_items_per_s"] = round(args.items / (time.perf_counter() - began), 1)
            console.log(f"seeded {args.items:,} items ({results['seed_items_per_s']:,}/s)")
            await seed_learners(database, item_ids, args.learners)
            path_id = await seed_team(database, item_ids, args.team)
            console.log(
                f"seeded {args.learners:,} learners and a team of {args.team:,} on path {path_id}"
            )
            async with database.pool.connection() as connection:
                # Measured after the vacuum the seed calls for, not beside it: the seed
                # writes every item twice (its popularity after), and autovacuum over
                # the 700 MB of items and their eleven indexes ran into the searches.
                await connection.execute("VACUUM (ANALYZE)")
            await checkpoint(admin_dsn)  # the seed's writes, not the searches'
            # The seed leaves about 150,000 objects in this process for the whole run,
            # lists of the 100,000 item ids among them: a full collection over them took
            # 70-120 ms, about once a second, inside whichever call this process was
            # timing (the slowest team pages). Frozen, collections skip them.
            gc.collect()
            gc.freeze()
            async with service.channel() as channel:
                stub = CatalogServiceStub(channel)
                results["search"] = await measure_search(stub, database, item_ids, args.searches)
                console.log("search measured")
                results["completions"] = await measure_completions(
                    kafka, database, path_id, item_ids[:5], args.team, args.completions
                )
                console.log("completions measured")
                # The team's pages are timed once the service has published what the
                # completions caused, not beside its relay (logged: 0 rows in every run
                # so far).
                rows, waited = await outbox_emptied(database, TENANT)
                console.log(f"outbox: {rows} rows after the completions, relayed in {waited} s")
                results["team"] = await measure_team(stub, args.rounds)
                console.log("team measured")
                floor = await storage_floor(
                    admin_dsn, database, item_ids, args.team, args.completions
                )
                results["completions"]["storage_floor"] = floor
                # Each of the floor's events did a consumer's work: a step of a path.
                assert floor["steps_advanced"] == args.completions, floor
                console.log(f"storage floor: {floor['events_per_s']:,} completions/s")
    finally:
        await service.stop()
        await drop_test_database(admin_dsn, name)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--team", type=int, default=1_000)
    parser.add_argument("--completions", type=int, default=5_000)
    parser.add_argument("--searches", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="5,000 items, 2,000 learners")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    add_infrastructure_arguments(parser)
    args = parser.parse_args()
    if args.smoke:
        args.items, args.learners, args.team, args.completions, args.searches, args.rounds = (
            200,
            100,
            50,
            100,
            22,
            1,
        )
    if args.quick:
        args.items, args.learners, args.team, args.completions, args.searches, args.rounds = (
            5_000,
            2_000,
            1_000,
            2_000,
            150,
            5,
        )
    started = datetime.now(UTC)
    results = asyncio.run(run(args))
    # The sizes and flags; not the DSN (it holds the database password).
    sizes = {k: v for k, v in vars(args).items() if k not in ("kafka", "postgres")}
    report = catalog_report.build_report(results, sizes, started=started, load=os.getloadavg())
    catalog_report.print_tables(report, console)
    REPORTS.mkdir(exist_ok=True)
    # The committed catalog.json is a --quick run (bench/README.md); --smoke never
    # replaces it.
    stem = report_stem("catalog", smoke=args.smoke)
    catalog_report.write_json(report, REPORTS / f"{stem}.json")
    catalog_report.write_chart(report, REPORTS / f"{stem}.png")
    console.log(f"wrote {REPORTS / stem}.json and {stem}.png")


if __name__ == "__main__":
    main()
