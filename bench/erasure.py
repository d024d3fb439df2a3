"""Benchmark of the right to erasure on PostgreSQL against raw baselines measured in the
same run.

    python -m bench.erasure [--quick] [--smoke] [--person-docs N] [--others N]
        [--samples N] [--postgres ADMIN_DSN]

Creates two community databases (community's ``MIGRATIONS``) seeded alike
(``bench/seeds/erasure.py``): one person with ``--person-docs`` rows of each kind
community keeps about a person, among ``--others`` rows per table of other people.
Measures:

- erasing the person with community's real steps
  (``agora_community.adapters.postgres.erasure.ERASURE_STEPS`` through
  ``agora_core.privacy.postgres.PostgresPersonEraser``, tombstone included, in one unit
  of work as the consumer runs it): seconds, beside the raw SQL that reaches the same
  end state on the other copy (a few DELETE/UPDATE statements in one transaction, no
  tombstone); both end states are then compared table by table (they must be equal);
- the same erasure again: nothing left to change (asserted), seconds;
- the guard every consumed event passes (``with_erasure_batch``'s wrapper: the names in
  the event, their digests, one indexed read of ``erased_persons`` in the batch's unit of
  work) per event, and the set handlers' guard per batch of ``SET_BATCH`` events, p50/p99,
  beside a raw primary-key SELECT of one tombstone in the same transaction.

Prints a table and writes ``erasure.json``, ``erasure.md`` and ``erasure.png`` to
``reports_dir()`` (``--quick``/``--smoke``: ``erasure-quick.*``/``erasure-smoke.*``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any, Final

import psycopg
from rich.console import Console
from rich.progress import Progress

from agora_community.adapters.postgres.erasure import ERASURE_STEPS, NOT_PERSONAL
from agora_community.migrations import MIGRATIONS
from agora_contracts.events import CloudEventEnvelope
from agora_contracts.events.domains.community import LIKES_TOPIC, LikeAddedV1
from agora_contracts.events.domains.privacy import ERASED_PERSON_PLACEHOLDER
from agora_core.messaging.events import OutgoingEvent, ReceivedEvent
from agora_core.postgres import Database, UnitOfWork
from agora_core.privacy.postgres import (
    Erasure,
    ErasureStep,
    PostgresPersonEraser,
    with_erasure_batch,
)
from agora_core.testing.postgres import (
    create_test_database,
    drop_test_database,
    dsn_for_database,
    ensure_test_role,
    migrated_database,
)
from bench import SMOKE_HELP, add_infrastructure_arguments, reports_dir
from bench import erasure_report as report_
from bench.platform_report import summary
from bench.seeds.erasure import ADA, RAW_ERASURE, SEEDED_TABLES, TENANT, end_state, seed

console = Console()
SET_BATCH: Final = 100
"""Events per set-handler batch in the guard measurement (a consumer poll's size)."""
TOMBSTONES: Final = 10_000
"""Other erased persons in the tombstone table while the guard is measured."""

RAW_TOMBSTONE: Final = "SELECT 1 FROM erased_persons WHERE tenant_id = %s AND digest = %s"


def timed_step(name: str, step: ErasureStep, seconds: dict[str, float]) -> ErasureStep:
    """``step`` unchanged, its duration recorded in ``seconds[name]``."""

    async def run(uow: UnitOfWork, erasure: Erasure) -> int:
        began = time.perf_counter()
        try:
            return await step(uow, erasure)
        finally:
            seconds[name] = round(time.perf_counter() - began, 4)

    return run


async def erase_with_service(database: Database) -> tuple[float, dict[str, int], dict[str, float]]:
    """Community's eraser, as its consumer's ``person.erased`` handler runs it: seconds,
    rows changed per step, seconds per step."""
    per_step: dict[str, float] = {}
    steps = [(name, timed_step(name, step, per_step)) for name, step in ERASURE_STEPS]
    eraser = PostgresPersonEraser(database, steps, not_personal=NOT_PERSONAL)
    started = time.perf_counter()
    async with database.unit_of_work() as uow:
        counts = await eraser.erase(uow, TENANT, ADA)
    return time.perf_counter() - started, counts.per_step, per_step


async def erase_raw(database: Database) -> float:
    params = {"tenant": TENANT, "person": ADA, "ph": ERASED_PERSON_PLACEHOLDER}
    started = time.perf_counter()
    async with database.unit_of_work(TENANT) as uow:
        for statement in RAW_ERASURE:
            await uow.connection.execute(statement, params)
    return time.perf_counter() - started


def like_event(i: int, liker: str) -> ReceivedEvent[Any]:
    """A like as the consumer receives it (validated payload, CloudEvents envelope)."""
    payload = LikeAddedV1(
        like_id=str(uuid.uuid4()),
        target_type="knowledge",
        target_id=f"k-{i}",
        liker_id=liker,
        target_owner_id="u-grace",
        liked_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    sent = OutgoingEvent.create(
        payload, source="/agora/community", subject=f"k-{i}", tenant_id=TENANT, actor_id=liker
    )
    envelope = CloudEventEnvelope.from_headers(sent.headers)
    return ReceivedEvent(envelope, payload, sent.topic, 0, i, sent.key)


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    began = time.perf_counter()
    await call()
    return (time.perf_counter() - began) * 1000


async def guard_latency(database: Database, admin_dsn: str, samples: int) -> dict[str, Any]:
    """The guard of ``with_erasure_batch`` around a likes handler, in a batch's unit of
    work, beside a raw primary-key SELECT of a tombstone in the same transaction."""
    async with await psycopg.AsyncConnection.connect(admin_dsn, autocommit=True) as admin:
        await admin.execute(
            "INSERT INTO erased_persons (tenant_id, digest) SELECT %s,"
            " encode(sha256(('gone-' || g)::bytea), 'hex') FROM generate_series(1, %s) AS g",
            (TENANT, TOMBSTONES),
        )
        await admin.execute("ANALYZE erased_persons")
        cursor = await admin.execute("SELECT digest FROM erased_persons LIMIT 1")
        row = await cursor.fetchone()
    assert row is not None
    digest = str(row[0])
    handled: list[str] = []
    set_handled: list[str] = []

    async def like_added(event: ReceivedEvent[Any], _uow: UnitOfWork) -> None:
        handled.append(event.event_id)

    async def likes_added(events: Any, _uow: UnitOfWork) -> None:
        set_handled.extend(event.event_id for event in events)

    eraser = PostgresPersonEraser(database, ERASURE_STEPS, not_personal=NOT_PERSONAL)
    events = [like_event(i, f"u-{i % 500}") for i in range(samples + SET_BATCH)]
    event_type = events[0].envelope.type
    _, guarded, guarded_sets = with_erasure_batch(
        [LIKES_TOPIC], {event_type: like_added}, eraser, set_handlers={event_type: likes_added}
    )
    guard: list[float] = []
    guard_set: list[float] = []
    raw: list[float] = []
    for start in range(0, samples, SET_BATCH):
        async with database.unit_of_work() as uow:  # one consumer poll
            await uow.set_tenant(TENANT)
            for i in range(start, min(start + SET_BATCH, samples)):

                async def pk_select() -> None:
                    found = await uow.connection.execute(RAW_TOMBSTONE, (TENANT, digest))
                    assert await found.fetchone() is not None

                batch = events[i : i + SET_BATCH]
                measures: list[tuple[list[float], Callable[[], Awaitable[Any]]]] = [
                    (guard, partial(guarded[event_type], events[i], uow)),
                    (guard_set, partial(guarded_sets[event_type], batch, uow)),
                    (raw, pk_select),
                ]
                # Each goes first in turn: none always follows the CPU-heavy set guard.
                for samples_of, call in measures[i % 3 :] + measures[: i % 3]:
                    samples_of.append(await timed(call))
    assert len(handled) == samples, "no event about a living person is dropped"
    assert len(set_handled) == samples * SET_BATCH
    async with database.unit_of_work() as uow:
        await guarded[event_type](like_event(0, ADA), uow)
    assert len(handled) == samples, "an event naming the erased person is dropped"
    return {
        "tombstones": TOMBSTONES + 1,
        "set_batch": SET_BATCH,
        "guard_per_event_ms": summary(guard),
        "set_guard_per_batch_ms": summary(guard_set),
        "raw_pk_select_ms": summary(raw),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    await ensure_test_role(args.postgres)
    names: list[str] = []
    results: dict[str, Any] = {}
    try:
        with Progress(console=console) as progress:
            task = progress.add_task("erasure benchmark", total=6)
            dsns = []
            for copy in ("service", "raw"):
                name, dsn = await create_test_database(args.postgres, f"bench_erasure_{copy}")
                names.append(name)
                dsns.append(dsn)
            admin = [dsn_for_database(args.postgres, name) for name in names]
            async with (
                migrated_database(dsns[0], MIGRATIONS, max_size=2) as service,
                migrated_database(dsns[1], MIGRATIONS, max_size=2) as raw,
            ):
                progress.advance(task)
                began = time.perf_counter()
                rows = [await seed(dsn, args.person_docs, args.others) for dsn in admin]
                assert rows[0] == rows[1], "both copies seeded alike"
                results["seed_seconds"] = round(time.perf_counter() - began, 2)
                results["rows"] = rows[0]
                progress.advance(task)
                results["raw_seconds"] = await erase_raw(raw)
                progress.advance(task)
                erased = await erase_with_service(service)
                results["service_seconds"], results["changed_per_step"] = erased[:2]
                results["seconds_per_step"] = erased[2]
                progress.advance(task)
                results["service_rerun_seconds"], again, rerun_steps = await erase_with_service(
                    service
                )
                assert sum(again.values()) == 0, f"the re-run changed rows: {again}"
                results["rerun_seconds_per_step"] = rerun_steps
                service_state, raw_state = await end_state(admin[0]), await end_state(admin[1])
                differ = [t for t in SEEDED_TABLES if service_state[t] != raw_state[t]]
                assert not differ, f"raw SQL and the eraser left different rows in {differ}"
                progress.advance(task)
                results["guard"] = await guard_latency(service, admin[0], args.samples)
                progress.advance(task)
            async with await psycopg.AsyncConnection.connect(args.postgres) as connection:
                cursor = await connection.execute("SHOW server_version")
                version = await cursor.fetchone()
    finally:
        for name in names:
            await drop_test_database(args.postgres, name)
    results["service_vs_raw"] = results["service_seconds"] / results["raw_seconds"]
    guard = results["guard"]
    raw_p50 = guard["raw_pk_select_ms"]["p50"]
    guard["guard_vs_raw_p50"] = guard["guard_per_event_ms"]["p50"] / raw_p50
    guard["set_guard_per_event_vs_raw_p50"] = (
        guard["set_guard_per_batch_ms"]["p50"] / SET_BATCH / raw_p50
    )
    results["meta"] = {
        "mode": args.mode,
        "person_rows_per_kind": args.person_docs,
        "others_per_table": args.others,
        "samples": args.samples,
        "postgres": str(version[0]) if version else "?",
        "load_average_start": [round(x, 2) for x in load_before],
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "started": started.strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
    }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="200 rows per kind, 20,000 others")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    parser.add_argument("--person-docs", type=int, default=1_000, help="rows of each kind")
    parser.add_argument("--others", type=int, default=100_000, help="others' rows per table")
    parser.add_argument("--samples", type=int, default=2_000, help="guard measurements")
    add_infrastructure_arguments(parser, kafka=False)
    # tools/bench.sh passes the same arguments to every benchmark; ignore others' flags.
    args, _ = parser.parse_known_args()
    args.mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    if args.quick:
        args.person_docs, args.others, args.samples = 200, 20_000, 300
    if args.smoke:
        args.person_docs, args.others, args.samples = 20, 200, 20
    if args.others < args.person_docs:
        parser.error("--others must be at least --person-docs (the person votes others' answers)")
    results = asyncio.run(run(args))
    report_.print_table(results, console)
    stem = "erasure" if args.mode == "full" else f"erasure-{args.mode}"
    out = reports_dir()
    report_.write_reports(results, out, stem)
    console.print(f"report: {out / stem}.json, {stem}.md, chart: {stem}.png")


if __name__ == "__main__":
    main()
