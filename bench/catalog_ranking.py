"""Catalogue relevance with a capped candidate set beside ranking every match.

    python -m bench.catalog_ranking [--quick | --smoke] [--items N] [--queries N]

On a fresh catalog database of the test server (AGORA_TEST_POSTGRES_DSN, migrated with
the catalog's migrations), loads ``--items`` published items (default 100,000, French
and English) with one word in 90 % of them, one in 30 % and one in 0.1 %, then runs the
catalog's own search statement (``adapters/postgres/search.py``) for each word, first
page of 20, in one transaction per query as the service does:

- **capped**: the search as the service runs it (``PostgresItemSearch``): the title and
  summary matches among the most popular items (a common word), else the
  ``RANK_CANDIDATES`` most popular title-or-summary matches, else every match (a rare
  word): the steps of ``adapters/postgres/search.py``;
- **rank all** (the baseline, the same run): the statement that ranks every match, as
  the catalog did before.

Reports p50/p99 per word and mode and the ratio, in ``bench/reports/catalog_ranking.json``
and ``.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from agora_catalog.adapters.postgres.search import (
    RANK_CANDIDATES,
    PostgresItemSearch,
    search_statement,
)
from agora_catalog.domain.search import SearchFilter, SearchQuery, query_words
from agora_catalog.migrations import MIGRATIONS
from agora_core.testing.postgres import (
    create_test_database,
    drop_test_database,
    ensure_test_role,
    migrated_database,
)
from bench import SMOKE_HELP, add_infrastructure_arguments, report_stem, reports_dir
from bench.catalog_ranking_report import write_png

TENANT: Final = "bench"
WORDS: Final = {"formation": 0.9, "kubernetes": 0.3, "pseudonymisation": 0.001}
"""Each word and the share of items that contain it."""

_FILL: Final = """
INSERT INTO items (tenant_id, item_id, type, status, title, summary, language,
    language_base, skill_ids, skill_levels, content, author_id, version, create_time,
    update_time, sort_time, popularity, search_vector, rank_vector, search_text)
SELECT %(t)s, 'i-' || n, 'wiki', 'published', w, w, lang, lang, '{}', '{}', '{}'::jsonb,
    'u-' || (n %% 50), 1, now(), now(), now() - n * interval '1 minute',
    (n * 7919) %% 1000,
    setweight(to_tsvector(cfg::regconfig, w), 'A'), setweight(to_tsvector(cfg::regconfig, w), 'A'),
    w
FROM generate_series(%(start)s::integer, %(stop)s::integer) AS n,
    LATERAL (SELECT CASE WHEN n %% 2 = 0 THEN 'fr' ELSE 'en' END AS lang) AS l,
    LATERAL (SELECT CASE WHEN lang = 'fr' THEN 'agora_fr' ELSE 'agora_en' END AS cfg) AS c,
    LATERAL (SELECT md5(n::text)
        || CASE WHEN n %% 10 <> 0 THEN ' formation' ELSE '' END
        || CASE WHEN n %% 10 < 3 THEN ' kubernetes' ELSE '' END
        || CASE WHEN n %% 1000 = 7 THEN ' pseudonymisation' ELSE '' END AS w) AS words
"""

console = Console()


async def load(database: Any, items: int, progress: Progress) -> None:
    task = progress.add_task("loading items", total=items)
    step = 10_000
    for start in range(1, items + 1, step):
        stop = min(items, start + step - 1)
        async with database.unit_of_work(TENANT) as uow:
            await uow.connection.execute(_FILL, {"t": TENANT, "start": start, "stop": stop})
        progress.update(task, completed=stop)
    async with database.pool.connection() as connection:
        await connection.execute("ANALYZE items")


async def timed(database: Any, word: str, *, capped: bool, queries: int) -> dict[str, Any]:
    query = SearchQuery(query_words(word), SearchFilter(status="published"), "relevance")
    samples: list[float] = []
    found = 0
    for _ in range(queries):
        now = datetime.now(UTC)
        started = time.perf_counter()
        async with database.unit_of_work(TENANT) as uow:
            if capped:
                search = PostgresItemSearch(uow.connection, TENANT)
                rows: list[Any] = await search.search(
                    query, ranked_at=now, fuzzy=False, after=None, limit=21
                )
            else:
                statement, params = search_statement(
                    TENANT, query, ranked_at=now, fuzzy=False, after=None, limit=21
                )
                rows = await (await uow.connection.execute(statement, params)).fetchall()
        samples.append((time.perf_counter() - started) * 1000)
        found = len(rows)
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2),
        "first_page_rows": found,
    }


async def run(admin_dsn: str, items: int, queries: int) -> dict[str, Any]:
    await ensure_test_role(admin_dsn)
    name, dsn = await create_test_database(admin_dsn, prefix="bench_ranking")
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "items": items,
        "queries_per_mode": queries,
        "rank_candidates": RANK_CANDIDATES,
        "words": {},
    }
    try:
        async with migrated_database(dsn, MIGRATIONS) as database:
            with Progress(console=console) as progress:
                await load(database, items, progress)
                task = progress.add_task("searching", total=len(WORDS) * 2)
                for word, share in WORDS.items():
                    capped = await timed(database, word, capped=True, queries=queries)
                    progress.advance(task)
                    rank_all = await timed(database, word, capped=False, queries=queries)
                    progress.advance(task)
                    report["words"][word] = {
                        "matches": round(items * share),
                        "capped": capped,
                        "rank_all": rank_all,
                        "p50_ratio": round(capped["p50_ms"] / rank_all["p50_ms"], 3),
                        "p99_ratio": round(capped["p99_ms"] / rank_all["p99_ms"], 3),
                    }
    finally:
        await drop_test_database(admin_dsn, name)
    report["load_average_1m"] = os.getloadavg()[0]
    return report


def show(report: dict[str, Any], directory: Path, stem: str) -> None:
    table = Table(
        title=f"relevance at {report['items']:,} items: capped at "
        f"{report['rank_candidates']:,} candidates vs rank all (same run), ms"
    )
    for column in ("word", "matches", "capped p50 / p99", "rank all p50 / p99", "ratio p99"):
        table.add_column(column, justify="left" if column == "word" else "right")
    for word, row in report["words"].items():
        table.add_row(
            word,
            f"{row['matches']:,}",
            f"{row['capped']['p50_ms']:,.1f} / {row['capped']['p99_ms']:,.1f}",
            f"{row['rank_all']['p50_ms']:,.1f} / {row['rank_all']['p99_ms']:,.1f}",
            f"{row['p99_ratio']:.3f}x",
        )
    console.print(table)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    write_png(report, directory / f"{stem}.png")
    console.print(f"report: {directory / stem}.json")


def sized_arguments(doc: str | None, *, queries: int) -> argparse.Namespace:
    """``--quick``, ``--smoke``, ``--items`` and ``--queries`` (default ``queries``), the
    sizes set: the catalogue search benchmarks' command line."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--quick", action="store_true", help="20,000 items, 20 queries")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=queries)
    add_infrastructure_arguments(parser, kafka=False)
    args = parser.parse_args()
    if args.quick:
        args.items, args.queries = 20_000, 20
    if args.smoke:
        args.items, args.queries = 2_000, 3
    return args


def main() -> None:
    args = sized_arguments(__doc__, queries=50)
    stem = report_stem("catalog_ranking", smoke=args.smoke, quick=args.quick)
    show(asyncio.run(run(args.postgres, args.items, args.queries)), reports_dir(), stem)


if __name__ == "__main__":
    main()
