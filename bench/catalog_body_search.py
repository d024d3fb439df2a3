"""Catalogue search for words mostly in bodies: the body-only group read in popularity
order beside ranking every match (the same run).

    python -m bench.catalog_body_search [--quick | --smoke] [--items N] [--queries N]

On a fresh catalog database of the test server (AGORA_TEST_POSTGRES_DSN, migrated with
the catalog's migrations), loads ``--items`` published items (default 100,000, French
and English), each with a body of 40 random tokens (its vector stored out of line, as a
real body's), and words in few titles but many bodies (``WORDS``). For each word it
times, in one transaction per query as the service does:

- **groups**: ``PostgresItemSearch`` as the service runs it (title-or-summary matches
  ranked, then the body-only group in popularity order: ADR 0005, amendment 1), the
  first page of 20 and the page after it;
- **rank all** (the baseline): the statement that ranks every match (the step 3 of
  ADR 0005 before the amendment).

Writes p50/p99 per word and mode and their ratio to ``bench/reports/catalog_body_search.json``
and ``.png``.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from datetime import UTC, datetime
from typing import Any, Final

from rich.console import Console

from agora_catalog.adapters.postgres.search import PostgresItemSearch, search_statement
from agora_catalog.adapters.postgres.search_body_sql import BODY_FEW
from agora_catalog.domain.search import SearchFilter, SearchQuery, query_words
from agora_catalog.migrations import MIGRATIONS
from agora_core.testing.postgres import (
    create_test_database,
    drop_test_database,
    ensure_test_role,
    migrated_database,
)
from bench import report_stem, reports_dir
from bench.catalog_ranking import sized_arguments
from bench.catalog_ranking_report import write_png

TENANT: Final = "bench"
WORDS: Final = {
    "kubernetes": 0.3,  # in 30 % of bodies and 0.2 % of titles
    "terraform": 0.05,  # in 5 % of bodies and 0.1 % of titles
    "docker": 0.1,  # in 10 % of bodies and 10 titles: page 1 ends in the body group
    "helm": 0.18,  # in 18 % of bodies, no title
    "ansible": 0.025,  # in 2.5 % of bodies, no title
    "pseudonymisation": 0.005,  # in 0.5 % of bodies, no title
    "kubernetes terraform": 0.05,  # two body words, together in 5 % of bodies
}
"""Each query and the share of items whose body matches it."""
_FILL: Final = """
INSERT INTO items (tenant_id, item_id, type, status, title, summary, language,
    language_base, skill_ids, skill_levels, content, author_id, version, create_time,
    update_time, sort_time, popularity, search_vector, rank_vector, search_text)
SELECT %(t)s, 'i-' || n, 'wiki', 'published', title, title, lang, lang, '{}', '{}',
    '{}'::jsonb, 'u-' || (n %% 50), 1, now(), now(), now() - n * interval '1 minute',
    (n * 7919) %% 1000,
    setweight(to_tsvector(cfg::regconfig, title), 'A')
        || setweight(to_tsvector(cfg::regconfig, body), 'C'),
    setweight(to_tsvector(cfg::regconfig, title), 'A'), title
FROM generate_series(%(start)s::integer, %(stop)s::integer) AS n,
    LATERAL (SELECT CASE WHEN n %% 2 = 0 THEN 'fr' ELSE 'en' END AS lang) AS l,
    LATERAL (SELECT CASE WHEN lang = 'fr' THEN 'agora_fr' ELSE 'agora_en' END AS cfg) AS c,
    LATERAL (SELECT md5(n::text)
        || CASE WHEN n %% 500 = 3 THEN ' kubernetes' ELSE '' END
        || CASE WHEN n %% 1000 = 11 THEN ' terraform' ELSE '' END
        || CASE WHEN n %% 10000 = 5 THEN ' docker' ELSE '' END AS title) AS t,
    LATERAL (SELECT (SELECT string_agg(md5(n || '-' || k), ' ') FROM generate_series(1, 40) k)
        || CASE WHEN n %% 10 < 3 THEN ' kubernetes' ELSE '' END
        || CASE WHEN n %% 20 = 1 THEN ' terraform' ELSE '' END
        || CASE WHEN n %% 40 = 2 THEN ' ansible' ELSE '' END
        || CASE WHEN n %% 10 = 5 THEN ' docker' ELSE '' END
        || CASE WHEN n %% 50 < 9 THEN ' helm' ELSE '' END
        || CASE WHEN n %% 200 = 5 THEN ' pseudonymisation' ELSE '' END AS body) AS b
"""

console = Console()


async def _load(database: Any, items: int) -> None:
    for start in range(1, items + 1, 10_000):
        async with database.unit_of_work(TENANT) as uow:
            stop = min(items, start + 9_999)
            await uow.connection.execute(_FILL, {"t": TENANT, "start": start, "stop": stop})
    async with database.pool.connection() as connection:
        await connection.execute("VACUUM ANALYZE items")


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2),
    }


async def _timed(database: Any, words: str, mode: str, queries: int) -> dict[str, Any]:
    query = SearchQuery(query_words(words), SearchFilter(status="published"), "relevance")
    samples: list[float] = []
    rows: list[Any] = []
    after = None
    for _ in range(queries):
        now = datetime.now(UTC)
        started = time.perf_counter()
        async with database.unit_of_work(TENANT) as uow:
            if mode == "rank_all":
                statement = search_statement(
                    TENANT, query, ranked_at=now, fuzzy=False, after=None, limit=21
                )
                rows = await (await uow.connection.execute(*statement)).fetchall()
            else:
                search = PostgresItemSearch(uow.connection, TENANT)
                at = after if mode == "groups_page_2" else None
                rows = await search.search(query, ranked_at=now, fuzzy=False, after=at, limit=21)
                if after is None and len(rows) > 20:
                    after = (rows[19][1], rows[19][0].item_id)
        samples.append((time.perf_counter() - started) * 1000)
    if mode == "groups_page_2":
        samples = samples[1:]  # the first query read page 1, for the token
    return {**_stats(samples), "page_rows": len(rows)}


async def run(admin_dsn: str, items: int, queries: int) -> dict[str, Any]:
    await ensure_test_role(admin_dsn)
    name, dsn = await create_test_database(admin_dsn, prefix="bench_body")
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "items": items,
        "queries_per_mode": queries,
        "rank_candidates": BODY_FEW,
        "load_average_before": os.getloadavg()[0],
        "words": {},
    }
    try:
        async with migrated_database(dsn, MIGRATIONS) as database:
            await _load(database, items)
            console.log(f"loaded {items:,} items")
            for words, share in WORDS.items():
                groups = await _timed(database, words, "groups", queries)
                # groups_page_2 starts with the page 1 token of its first query.
                page_2 = await _timed(database, words, "groups_page_2", queries + 1)
                rank_all = await _timed(database, words, "rank_all", queries)
                report["words"][words] = {
                    "matches": round(items * share),
                    "capped": groups,
                    "groups_page_2": page_2,
                    "rank_all": rank_all,
                    "p99_ratio": round(groups["p99_ms"] / rank_all["p99_ms"], 3),
                }
                console.log(words, report["words"][words])
    finally:
        await drop_test_database(admin_dsn, name)
    report["load_average_1m"] = os.getloadavg()[0]
    return report


def main() -> None:
    args = sized_arguments(__doc__, queries=30)
    report = asyncio.run(run(args.postgres, args.items, args.queries))
    stem = report_stem("catalog_body_search", smoke=args.smoke, quick=args.quick)
    directory = reports_dir()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    write_png(report, directory / f"{stem}.png")
    console.print(f"report: {directory / stem}.json")


if __name__ == "__main__":
    main()
