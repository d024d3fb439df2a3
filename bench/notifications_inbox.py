"""Benchmark of the notifications inbox on PostgreSQL: one person with many
notifications among millions, beside a primary-key lookup measured in the same run.

    python -m bench.notifications_inbox [--quick|--smoke] [--keep] [--postgres ADMIN_DSN]

Creates a throwaway database at the service's migrations' head, seeds it server-side
with ``generate_series`` (full size: 10,000,000 notifications in 100 tenants, one of
them 10,000 for the measured person, a third unread; ``--quick``: 1,000,000 / 10,000;
``--smoke``: 20,000 / 1,000) and measures, through the service's own repository
(``PostgresInboxRepository``) in a unit of work of the person's tenant (row-level
security on) — exactly what the servicer will run per call:

- first page: the 20 newest (index ``notifications_inbox``);
- keyset page: 20 after a random position of the person's inbox;
- unread page: the 20 newest unread (partial index ``notifications_unread``);
- unread count (partial index ``notifications_unread``);
- baseline: one notification by primary key, in the same kind of unit of work,
  interleaved with the others so load hits all alike.

``--keep`` seeds a database named after the size once and keeps it: later runs with
``--keep`` only measure (seconds instead of the full size's half hour of seeding), so the
measuring can wait for a quiet machine.

Prints a table and writes ``bench/reports/notifications_inbox.json`` and ``.png``
(``--quick``/``--smoke``: ``notifications_inbox-quick.*``/``-smoke.*``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from rich.console import Console

from agora_core.postgres import Database, create_pool
from agora_core.postgres.migrations import upgrade_async
from agora_core.testing.postgres import (
    TEST_ROLE,
    TEST_ROLE_PASSWORD,
    create_test_database,
    drop_test_database,
    dsn_for,
    dsn_for_database,
    ensure_test_role,
)
from agora_notifications.adapters.postgres.inbox import PostgresInboxRepository
from agora_notifications.domain.inbox import InboxPosition
from agora_notifications.migrations import MIGRATIONS
from bench import SMOKE_HELP, add_infrastructure_arguments, reports_dir
from bench import notifications_inbox_report as report_
from bench.platform_report import summary

TENANT = "t-000"
PERSON = "p-measured"
PAGE = 20
START = datetime(2026, 1, 1, tzinfo=UTC)
CHUNK = 1_000_000
console = Console()


@dataclass(frozen=True)
class Sizes:
    total: int
    person: int


FULL, QUICK, SMOKE = Sizes(10_000_000, 10_000), Sizes(1_000_000, 10_000), Sizes(20_000, 1_000)

_OTHERS = """
INSERT INTO notifications (tenant_id, notification_id, recipient_id, category, title, body,
                           subject_id, create_time, read_time)
SELECT 't-' || lpad((g %% 100)::text, 3, '0'), 'n-' || g, 'p-' || ((g / 100) %% 10000),
       'badge_awarded', 'Badge earned', 'You earned the badge', 'b-' || (g %% 500),
       %(start)s::timestamptz + g * interval '1 second',
       CASE WHEN g %% 3 = 0 THEN NULL
            ELSE %(start)s::timestamptz + g * interval '1 second' + interval '1 hour' END
FROM generate_series(%(low)s::bigint, %(high)s::bigint) AS g
"""
_PERSON = """
INSERT INTO notifications (tenant_id, notification_id, recipient_id, category, title, body,
                           subject_id, create_time, read_time)
SELECT %(tenant)s, 'm-' || g, %(person)s, 'comment_posted', 'New comment',
       'Someone answered your question', 'c-' || g,
       %(start)s::timestamptz + g * interval '17 minutes',
       CASE WHEN g %% 3 = 0 THEN NULL ELSE %(start)s::timestamptz + interval '2 years' END
FROM generate_series(1, %(count)s::bigint) AS g
"""


async def seed(admin_dsn: str, sizes: Sizes) -> None:
    """Server-side inserts as the database owner's superuser (row-level security does
    not apply to it), in chunks so progress shows; then statistics."""
    async with await psycopg.AsyncConnection.connect(admin_dsn, autocommit=True) as connection:
        others = sizes.total - sizes.person
        for low in range(1, others + 1, CHUNK):
            high = min(low + CHUNK - 1, others)
            await connection.execute(_OTHERS, {"start": START, "low": low, "high": high})
            console.log(f"  {high:,} of {others:,} others")
        await connection.execute(
            _PERSON, {"tenant": TENANT, "person": PERSON, "start": START, "count": sizes.person}
        )
        await connection.execute("VACUUM ANALYZE notifications")
        await connection.execute("CREATE TABLE bench_seeded ()")


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    began = time.perf_counter()
    await call()
    return (time.perf_counter() - began) * 1000


async def measure(database: Database, sizes: Sizes, samples: int) -> dict[str, Any]:
    """Each sample runs every shape once, in a shuffled order (load hits all alike)."""
    rng = random.Random(7)  # noqa: S311 - positions, not secrets
    step = timedelta(minutes=17)

    async def in_uow(work: Callable[[PostgresInboxRepository], Awaitable[object]]) -> None:
        async with database.unit_of_work(TENANT) as uow:
            await work(PostgresInboxRepository(uow.connection, TENANT))

    def position() -> InboxPosition:
        g = rng.randint(PAGE + 1, sizes.person)
        return InboxPosition(START + g * step, f"m-{g}")

    shapes: dict[str, Callable[[], Awaitable[object]]] = {
        "first_page": lambda: in_uow(lambda r: r.page(PERSON, after=None, limit=PAGE)),
        "keyset_page": lambda: in_uow(lambda r: r.page(PERSON, after=position(), limit=PAGE)),
        "unread_page": lambda: in_uow(
            lambda r: r.page(PERSON, after=None, limit=PAGE, unread_only=True)
        ),
        "unread_count": lambda: in_uow(lambda r: r.unread_count(PERSON)),
        "primary_key_baseline": lambda: in_uow(
            lambda r: r.by_id(f"m-{rng.randint(1, sizes.person)}")
        ),
    }
    for shape in shapes.values():  # warm the pool and the cache
        await shape()
    times: dict[str, list[float]] = {name: [] for name in shapes}
    for _ in range(samples):
        order = list(shapes)
        rng.shuffle(order)
        for name in order:
            times[name].append(await timed(shapes[name]))
    async with database.unit_of_work(TENANT) as uow:
        count = await PostgresInboxRepository(uow.connection, TENANT).unread_count(PERSON)
    return {
        "latency_ms": {name: summary(values) for name, values in times.items()},
        "unread": count,
    }


async def kept_database(admin_dsn: str, name: str) -> tuple[str, bool] | None:
    """The DSN of a database kept by an earlier ``--keep`` run, and whether its seeding
    finished (``bench_seeded`` is created last); None when there is none."""
    async with await psycopg.AsyncConnection.connect(admin_dsn, autocommit=True) as admin:
        cursor = await admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if await cursor.fetchone() is None:
            return None
    async with await psycopg.AsyncConnection.connect(
        dsn_for_database(admin_dsn, name), autocommit=True
    ) as connection:
        cursor = await connection.execute("SELECT to_regclass('bench_seeded') IS NOT NULL")
        row = await cursor.fetchone()
    return dsn_for(admin_dsn, user=TEST_ROLE, password=TEST_ROLE_PASSWORD, dbname=name), bool(
        row and row[0]
    )


async def seeded_database(admin_dsn: str, sizes: Sizes, keep: bool) -> tuple[str, str, float]:
    """(name, DSN, seconds spent seeding: 0 when a kept database is reused)."""
    name = f"bench_inbox_kept_{sizes.total}" if keep else None
    kept = await kept_database(admin_dsn, name) if name else None
    if name and kept and kept[1]:
        console.log(f"reusing {name}, seeded by an earlier --keep run")
        return name, kept[0], 0.0
    if name and kept:  # an interrupted seeding: start again
        await drop_test_database(admin_dsn, name)
    name, dsn = await create_test_database(admin_dsn, prefix="bench_inbox", name=name)
    await upgrade_async(MIGRATIONS, dsn)
    console.log(f"seeding {sizes.total:,} notifications, {sizes.person:,} for one person")
    began = time.perf_counter()
    await seed(dsn_for_database(admin_dsn, name), sizes)
    seconds = time.perf_counter() - began
    console.log(f"seeded in {seconds:.1f} s")
    return name, dsn, seconds


async def run(args: argparse.Namespace) -> dict[str, Any]:
    sizes = SMOKE if args.smoke else QUICK if args.quick else FULL
    started = datetime.now(UTC)
    await ensure_test_role(args.postgres)
    name, dsn, seed_s = await seeded_database(args.postgres, sizes, args.keep)
    try:
        pool = create_pool(dsn, application_name="bench-inbox", max_size=2)
        await pool.open()
        try:
            result = await measure(Database(pool), sizes, args.samples)
        finally:
            await pool.close()
    finally:
        if not args.keep:
            await drop_test_database(args.postgres, name)
    result["meta"] = {
        "mode": "smoke" if args.smoke else "quick" if args.quick else "full",
        "notifications": sizes.total,
        "person_notifications": sizes.person,
        "page_size": PAGE,
        "samples": args.samples,
        "seed_seconds": round(seed_s, 1),  # 0: a database kept by an earlier run
        "kept_database": args.keep,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "started": started.strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1,000,000 notifications")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    add_infrastructure_arguments(parser, kafka=False)
    parser.add_argument(
        "--keep", action="store_true", help="seed a named database once and keep it"
    )
    parser.add_argument("--out", type=Path, default=reports_dir(), help="where reports go")
    # tools/bench.sh passes the same arguments to every benchmark; ignore others' flags.
    args, _ = parser.parse_known_args()
    args.samples = 50 if args.smoke else 1_000 if args.quick else 2_000
    report = asyncio.run(run(args))
    report_.print_table(report, console)
    # Only a full-size run writes the committed report.
    suffix = "-smoke" if args.smoke else "-quick" if args.quick else ""
    stem = f"notifications_inbox{suffix}"
    report_.write_json(report, args.out / f"{stem}.json")
    report_.write_chart(report, args.out / f"{stem}.png")
    console.print(f"report: {args.out / stem}.json, chart: {stem}.png")


if __name__ == "__main__":
    main()
