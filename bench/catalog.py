"""Benchmark of the catalog service beside raw baselines measured in the same run.

    python bench/catalog.py [--items N] [--learners N] [--completions N] [--searches N] [--quick]

Starts the catalog service in-process (real gRPC server, outbox relay and consumer)
against AGORA_TEST_KAFKA / AGORA_TEST_MONGO_URI, then:
- seeds N published items (10,000 by default) built by the service's own item code
  (folded search terms, prefixes, theme scope) and N learners (10,000 by default), each
  with a started progress document, so lookups run against realistic collections;
- baseline: raw ``insert_many`` of N plain documents of similar size (docs/s) and a
  raw indexed ``find`` (tenant, status, newest 20) latency on the same database;
- search latency over gRPC (p50/p99) for a mix of free-text queries (relevance),
  filtered and sorted queries;
- completion throughput over gRPC: CompleteItem by ``--completions`` seeded learners
  (32 in flight), measured until the outbox relay has published every
  knowledge.completed event (completions/s, beside the raw insert rate).

Prints a table and writes ``bench/reports/catalog.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from agora.catalog.v1 import catalog_pb2 as pb
from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceStub
from agora_catalog.adapters.mongo import ITEMS, PROGRESS, CatalogDatabase, now_ms
from agora_catalog.bootstrap import build
from agora_catalog.domain.inputs import ItemIn
from agora_catalog.service_layer.catalog import Catalog
from agora_catalog.service_layer.events import EventFactory
from agora_catalog.settings import CatalogSettings
from agora_core.grpc.auth import Principal, Role
from agora_core.storage import create_mongo_client
from agora_core.testing import eventually
from agora_core.testing.grpc_assertions import caller
from agora_core.testing.service_harness import channel_to, running_service, test_settings

REPORT = Path(__file__).resolve().parent / "reports" / "catalog.json"
console = Console()
TENANT = "bench"
WORDS = (
    "éducation",
    "financière",
    "sécurité",
    "données",
    "réseau",
    "cloud",
    "kubernetes",
    "python",
    "apprentissage",
    "management",
    "leadership",
    "écoute",
    "négociation",
    "qualité",
    "client",
    "vente",
    "marketing",
    "juridique",
    "conformité",
    "RGPD",
    "éthique",
    "innovation",
    "agilité",
    "scrum",
    "projet",
    "budget",
    "comptabilité",
    "fiscalité",
    "santé",
    "prévention",
    "incendie",
    "ergonomie",
    "télétravail",
    "communication",
    "présentation",
    "écriture",
    "anglais",
    "espagnol",
    "allemand",
    "excel",
    "tableur",
    "analyse",
    "statistique",
    "visualisation",
    "SQL",
    "index",
    "jointure",
    "performance",
    "sauvegarde",
    "chiffrement",
    "identité",
    "phishing",
    "mot-de-passe",
    "onboarding",
    "accueil",
    "mentorat",
    "feedback",
    "entretien",
    "recrutement",
    "diversité",
    "inclusion",
    "énergie",
    "carbone",
)


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


async def _timed(label: str, count: int, work: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await work()
    elapsed = time.perf_counter() - started
    console.log(f"{label}: {count} in {elapsed:.2f} s")
    return count / elapsed


async def seed_items(
    catalog: Catalog, db: CatalogDatabase, count: int, rng: random.Random
) -> list[str]:
    """Published items built by the service's own code, inserted in batches."""
    admin = Principal("u-admin", TENANT, frozenset({Role.ADMIN}))
    items = db.repo(ITEMS, TENANT)
    ids: list[str] = []
    batch: list[dict[str, Any]] = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("seeding items", total=count)
        for n in range(count):
            item = ItemIn.model_validate(
                {
                    "title": _text(rng, 4).capitalize(),
                    "summary": _text(rng, 12),
                    "language": rng.choice(["fr", "en"]),
                    "estimated_minutes": rng.randint(2, 120),
                    "theme_ids": [rng.choice(["tech", "data", "soft"])],
                    "skills": [{"skill_id": rng.choice(["sql", "git", "soft"]), "level": 2}],
                    "wiki": {"markdown": _text(rng, 80)},
                }
            )
            document = await catalog.new_item_document(admin, item)
            now = now_ms()
            document.update(
                status="published",
                validated=True,
                publish_time=now,
                sort_time=now,
                like_count=(likes := rng.randint(0, 50)),
                popularity=likes,
            )
            batch.append(document)
            ids.append(document["_id"])
            if len(batch) == 500 or n == count - 1:
                await items.insert_many(batch)
                batch = []
            progress.update(task, completed=n + 1)
    return ids


async def seed_learners(db: CatalogDatabase, item_ids: list[str], learners: int) -> None:
    """One started (not completed) progress document per learner, as StartItem leaves it."""
    progress = db.repo(PROGRESS, TENANT)
    now = now_ms()
    for start in range(0, learners, 500):
        await progress.insert_many(
            [
                {
                    "_id": f"{TENANT}:u-learner-{n}:{item_ids[n % len(item_ids)]}",
                    "learner_id": f"u-learner-{n}",
                    "item_id": item_ids[n % len(item_ids)],
                    "item_title": "seeded",
                    "item_type": "wiki",
                    "percent": 10,
                    "last_position": "",
                    "completed": False,
                    "started_at": now,
                    "updated_at": now,
                    "completed_at": None,
                    "skill_ids": [],
                }
                for n in range(start, min(start + 500, learners))
            ]
        )


async def run(args: argparse.Namespace) -> dict[str, float]:
    items_count, learners, searches = args.items, args.learners, args.searches
    completions = min(args.completions, learners)
    kafka, mongo = args.kafka, args.mongo
    database = f"bench_catalog_{uuid.uuid4().hex[:8]}"
    # The relay is woken on every write (notify); a slow idle poll keeps its scans of
    # the outbox collections (full scans on FerretDB) from loading the database.
    settings = test_settings(
        CatalogSettings,
        kafka=kafka,
        mongo_uri=mongo,
        database=database,
        outbox_poll_interval_ms=1000,
    )
    rng = random.Random(42)  # noqa: S311 - reproducible benchmark data, not secrets
    results: dict[str, float] = {}
    client = create_mongo_client(mongo)
    try:
        async with running_service(build, settings) as runtime, channel_to(runtime) as channel:
            stub = CatalogServiceStub(channel)
            admin = caller(["admin"], tenant=TENANT, subject="u-admin")
            for theme, parent in (("tech", ""), ("data", "tech"), ("soft", "")):
                await stub.UpsertTheme(
                    pb.UpsertThemeRequest(theme_id=theme, name=theme, parent_id=parent),
                    metadata=admin,
                )
            for skill in ("sql", "git", "soft"):
                await stub.UpsertSkill(
                    pb.UpsertSkillRequest(skill_id=skill, name=skill), metadata=admin
                )

            # Baseline: raw inserts of documents of similar size on the same database.
            raw = client[database]["raw_baseline"]
            plain = [
                {
                    "_id": uuid.uuid4().hex,
                    "tenant_id": TENANT,
                    "title": _text(rng, 4),
                    "body": _text(rng, 80),
                }
                for _ in range(items_count)
            ]

            async def insert_plain() -> None:
                for start in range(0, len(plain), 500):
                    await raw.insert_many(plain[start : start + 500])

            results["raw_insert_per_s"] = await _timed("raw insert_many", items_count, insert_plain)

            db = CatalogDatabase(runtime.database)
            catalog = Catalog(db, EventFactory(runtime.registry), runtime.relay.notify)
            item_ids = await seed_items(catalog, db, items_count, rng)
            await _timed("seed learners", learners, lambda: seed_learners(db, item_ids, learners))

            items = runtime.database["items"]
            raw_latencies = []
            for _ in range(searches):
                started = time.perf_counter()
                await (
                    items.find({"tenant_id": TENANT, "status": "published"})
                    .sort([("sort_time", -1), ("_id", -1)])
                    .limit(20)
                    .to_list()
                )
                raw_latencies.append((time.perf_counter() - started) * 1000)
            results["raw_find_p50_ms"] = _percentile(raw_latencies, 0.5)
            results["raw_find_p99_ms"] = _percentile(raw_latencies, 0.99)
            console.log(
                f"raw find p50 {results['raw_find_p50_ms']:.1f} ms, "
                f"p99 {results['raw_find_p99_ms']:.1f} ms"
            )

            learner = caller(["learner"], tenant=TENANT, subject="u-reader")
            requests = []
            for n in range(searches):
                kind = n % 4
                if kind == 0:
                    requests.append(pb.SearchItemsRequest(query=rng.choice(WORDS), page_size=20))
                elif kind == 1:
                    requests.append(
                        pb.SearchItemsRequest(query=" ".join(rng.sample(WORDS, 2)), page_size=20)
                    )
                elif kind == 2:
                    requests.append(
                        pb.SearchItemsRequest(
                            theme_id="tech",
                            language="fr",
                            sort=pb.SEARCH_SORT_RECENCY,
                            page_size=20,
                        )
                    )
                else:
                    requests.append(
                        pb.SearchItemsRequest(
                            skill_id="sql", sort=pb.SEARCH_SORT_POPULARITY, page_size=20
                        )
                    )
            latencies = []
            with Progress(console=console, transient=True) as progress:
                task = progress.add_task("searching", total=searches)
                for request in requests:
                    started = time.perf_counter()
                    await stub.SearchItems(request, metadata=learner)
                    latencies.append((time.perf_counter() - started) * 1000)
                    progress.advance(task)
            results["search_p50_ms"] = _percentile(latencies, 0.5)
            results["search_p99_ms"] = _percentile(latencies, 0.99)
            text_latencies = latencies[0::4] + latencies[1::4]
            results["text_search_p50_ms"] = _percentile(text_latencies, 0.5)
            results["text_search_p99_ms"] = _percentile(text_latencies, 0.99)
            console.log(
                f"search p50 {results['search_p50_ms']:.1f} ms, "
                f"p99 {results['search_p99_ms']:.1f} ms"
            )

            # Completions: one per learner, 32 in flight, until the relay drained them.
            progress_docs = runtime.database[PROGRESS]
            semaphore = asyncio.Semaphore(32)

            async def complete(n: int) -> None:
                async with semaphore:
                    await stub.CompleteItem(
                        pb.CompleteItemRequest(item_id=item_ids[n % len(item_ids)]),
                        metadata=caller(["learner"], tenant=TENANT, subject=f"u-learner-{n}"),
                    )

            async def complete_all() -> None:
                await asyncio.gather(*(complete(n) for n in range(completions)))

                async def drained() -> bool:
                    pending = {"outbox.id": {"$exists": True}}
                    return await progress_docs.count_documents(pending) == 0

                await eventually(drained, timeout=1800, interval=0.05)

            results["completions_per_s"] = await _timed(
                "completions (relayed)", completions, complete_all
            )
    finally:
        await client.drop_database(database)
        await client.close()
    results["completions_vs_raw_insert"] = (
        results["completions_per_s"] / results["raw_insert_per_s"]
    )
    results["search_p50_vs_raw_find"] = results["search_p50_ms"] / results["raw_find_p50_ms"]
    return results


def report(results: dict[str, float], args: argparse.Namespace) -> None:
    table = Table(
        title=f"catalog: {args.items} items, {args.learners} learners, "
        f"{args.completions} completions, {args.searches} searches"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("baseline (same run)", justify="right")
    table.add_column("ratio", justify="right")
    table.add_row(
        "search p50 (all queries)",
        f"{results['search_p50_ms']:.1f} ms",
        f"raw find {results['raw_find_p50_ms']:.1f} ms",
        f"{results['search_p50_vs_raw_find']:.1f}x",
    )
    table.add_row(
        "search p99 (all queries)",
        f"{results['search_p99_ms']:.1f} ms",
        f"raw find {results['raw_find_p99_ms']:.1f} ms",
        "",
    )
    table.add_row(
        "free-text search p50 / p99",
        f"{results['text_search_p50_ms']:.1f} / {results['text_search_p99_ms']:.1f} ms",
        "",
        "",
    )
    table.add_row(
        "completions (gRPC + outbox relayed)",
        f"{results['completions_per_s']:,.0f} /s",
        f"raw insert {results['raw_insert_per_s']:,.0f} docs/s",
        f"{results['completions_vs_raw_insert']:.3f}x",
    )
    console.print(table)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(
        json.dumps(
            {
                "items": args.items,
                "learners": args.learners,
                "completions": args.completions,
                "searches": args.searches,
                **results,
            },
            indent=2,
        )
        + "\n"
    )
    console.print(f"report: {REPORT}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--completions", type=int, default=1000)
    parser.add_argument("--searches", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="1,000 items and learners")
    parser.add_argument("--kafka", default=os.environ.get("AGORA_TEST_KAFKA", "127.0.0.1:19092"))
    parser.add_argument(
        "--mongo", default=os.environ.get("AGORA_TEST_MONGO_URI", "mongodb://127.0.0.1:27018/")
    )
    args = parser.parse_args()
    if args.quick:
        args.items, args.learners, args.completions, args.searches = 1000, 1000, 200, 40
    report(asyncio.run(run(args)), args)


if __name__ == "__main__":
    main()
