"""Benchmark of the catalog service beside raw baselines measured in the same run.

    python bench/catalog.py [--items N] [--learners N] [--completions N] [--searches N]
                            [--grpc-items N] [--quick]

Starts the catalog service in-process (real gRPC server, outbox relay and consumer)
against AGORA_TEST_KAFKA / AGORA_TEST_MONGO_URI, then:

- baseline: raw ``insert_many`` of N plain documents of similar size (docs/s), a raw
  ``find_one`` by ``_id`` of an item (the cheapest read) and a raw filtered, sorted
  ``find`` over the items (what search cost before the search index);
- seeds N published items (10,000 by default; French and English words with accents,
  Zipf-distributed so some words are common and most are rare) through the service
  layer in-process: each item is built by the service's own item code and inserted
  with the search mark every write sets, then indexed by the service's own batched
  apply (``SearchIndex.apply_many``, the code start-up repair runs). Seeding 10,000
  items one gRPC call chain at a time would take about an hour on a shared 2-core
  machine, so ``--grpc-items`` more (50 by default) are created, submitted, claimed
  and approved through gRPC to measure the real per-item write path with its index
  maintenance;
- seeds N learners (10,000 by default), each with a started progress document;
- search latency over gRPC (p50/p99), one call at a time, for a mix of free-text
  queries (French and English, accents, prefixes, relevance), filters, each sort and
  page 2 via the previous page's token; the first search (which loads the tenant's
  rows into the process) and searches right after a like (one shard reloaded) are
  reported apart;
- completion throughput over gRPC: CompleteItem by ``--completions`` seeded learners
  (32 in flight), measured until the outbox relay has published every
  knowledge.completed event (completions/s, beside the raw insert rate).

Prints a table and writes ``bench/reports/catalog.json`` and ``catalog.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from agora.catalog.v1 import catalog_pb2 as pb
from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceStub
from agora_catalog.adapters.mongo import ITEMS, PROGRESS, CatalogDatabase, now_ms
from agora_catalog.bootstrap import build
from agora_catalog.domain.inputs import ItemIn
from agora_catalog.entrypoints import events
from agora_catalog.service_layer.catalog import Catalog
from agora_catalog.service_layer.events import EventFactory
from agora_catalog.service_layer.popularity import Popularity
from agora_catalog.settings import CatalogSettings
from agora_core.grpc.auth import Principal, Role
from agora_core.storage import create_mongo_client
from agora_core.testing import eventually
from agora_core.testing.event_tap import start_group_at_end
from agora_core.testing.grpc_assertions import caller
from agora_core.testing.service_harness import channel_to, running_service, test_settings
from bench import SMOKE_HELP, reports_dir

if TYPE_CHECKING:
    from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceAsyncStub

REPORTS = reports_dir()
console = Console()
TENANT = "bench"
SEED_BATCH = 1000
# Words people search a corporate catalogue for, French and English, accents kept.
VOCABULARY = [
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
    "learning",
    "security",
    "network",
    "privacy",
    "compliance",
    "negotiation",
    "sales",
    "customer",
    "quality",
    "coaching",
    "delegation",
    "priorities",
    "meeting",
    "planning",
    "roadmap",
    "product",
    "design",
    "research",
    "interview",
    "accessibility",
    "testing",
    "deployment",
    "monitoring",
    "incident",
    "postmortem",
    "architecture",
    "database",
    "migration",
    "refactoring",
    "debugging",
    "pairing",
    "review",
    "stratégie",
    "décision",
    "créativité",
    "réunion",
    "équipe",
    "collaboration",
    "motivation",
    "reconnaissance",
    "bien-être",
    "stress",
    "sommeil",
    "nutrition",
    "sécurité-routière",
    "premiers-secours",
    "évacuation",
    "habilitation",
    "électrique",
    "chantier",
    "logistique",
    "entrepôt",
    "transport",
    "achats",
    "fournisseurs",
    "contrat",
    "facture",
    "trésorerie",
    "paie",
    "congés",
    "formation",
    "compétences",
    "évaluation",
    "objectifs",
    "carrière",
    "mobilité",
    "handicap",
    "égalité",
    "harcèlement",
    "déontologie",
    "anticorruption",
    "blanchiment",
    "sanctions",
    "audit",
    "contrôle",
    "risques",
    "assurance",
    "sinistre",
    "réclamation",
    "satisfaction",
    "fidélisation",
    "prospection",
    "devis",
    "commande",
]
_SYLLABLES = (
    "pré", "con", "ré", "dé", "ma", "ni", "té", "lo", "gis", "tion", "ment", "ité", "eur",
    "age", "ance", "ique", "ver", "sal", "por", "tra", "ex", "in", "ou", "é", "val",
)  # fmt: skip


def _rare_words(count: int) -> list[str]:
    """Made-up words (same seed every run): the long tail of a real catalogue's text."""
    rng = random.Random(7)  # noqa: S311 - reproducible benchmark data
    words: dict[str, None] = {}
    while len(words) < count:
        words.setdefault("".join(rng.choices(_SYLLABLES, k=rng.randint(3, 5))), None)
    return list(words)


RARE_WORDS = _rare_words(3000)
THEMES = (("tech", ""), ("data", "tech"), ("security", "tech"), ("soft", ""), ("law", ""))
SKILLS = ("sql", "git", "soft", "security", "law", "sales")


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Words:
    """Zipf-distributed words: a few common, most rare (like real catalogue text)."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._words = [*VOCABULARY, *RARE_WORDS]
        self._weights = [1 / (rank + 1) for rank in range(len(self._words))]

    def text(self, count: int) -> str:
        return " ".join(self._rng.choices(self._words, self._weights, k=count))


async def _timed(label: str, count: int, work: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await work()
    elapsed = time.perf_counter() - started
    console.log(f"{label}: {count:,} in {elapsed:.1f} s ({count / elapsed:,.1f}/s)")
    return count / elapsed


def _item_input(rng: random.Random, words: Words) -> ItemIn:
    return ItemIn.model_validate(
        {
            "title": words.text(rng.randint(3, 7)).capitalize(),
            "summary": words.text(rng.randint(10, 25)),
            "language": rng.choice(["fr", "fr", "en", "fr-CA"]),
            "estimated_minutes": rng.randint(2, 120),
            "theme_ids": [rng.choice([t for t, _ in THEMES])],
            "skills": [{"skill_id": rng.choice(SKILLS), "level": 2}],
            "wiki": {"markdown": words.text(rng.randint(60, 200))},
        }
    )


async def seed_items(
    catalog: Catalog, db: CatalogDatabase, count: int, rng: random.Random, words: Words
) -> list[str]:
    """Published items built by the service's code, indexed by its batched apply."""
    admin = Principal("u-admin", TENANT, frozenset({Role.ADMIN}))
    items = db.repo(ITEMS, TENANT)
    ids: list[str] = []
    batch: list[dict[str, Any]] = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("seeding and indexing items", total=count)
        for n in range(count):
            document = await catalog.new_item_document(admin, _item_input(rng, words))
            now = now_ms()
            likes = int(rng.paretovariate(1.5)) - 1
            document.update(
                status="published",
                validated=True,
                publish_time=now,
                sort_time=now,
                like_count=likes,
                popularity=likes,
            )
            batch.append(document)
            ids.append(document["_id"])
            if len(batch) == SEED_BATCH or n == count - 1:
                await items.insert_many(batch)
                await catalog.index.apply_many(TENANT, batch)
                batch = []
            progress.update(task, completed=n + 1)
    return ids


async def grpc_items(
    stub: CatalogServiceAsyncStub, count: int, rng: random.Random, words: Words
) -> int:
    """Create, submit, claim and approve ``count`` items through gRPC (each write indexed)."""
    author = caller(["contributor"], tenant=TENANT, subject="u-author")
    expert = caller(["expert"], tenant=TENANT, subject="u-expert")
    for _ in range(count):
        item = _item_input(rng, words)
        draft = pb.ItemDraft(
            title=item.title,
            summary=item.summary,
            language=item.language,
            estimated_minutes=item.estimated_minutes,
            theme_ids=item.theme_ids,
            skills=[pb.SkillLevel(skill_id="sql", level=2)],
            wiki=pb.WikiContent(markdown=words.text(120)),
        )
        created = await stub.CreateItem(pb.CreateItemRequest(item=draft), metadata=author)
        item_id = created.item.item_id
        await stub.SubmitItem(pb.SubmitItemRequest(item_id=item_id), metadata=author)
        await stub.ClaimReview(pb.ClaimReviewRequest(item_id=item_id), metadata=expert)
        await stub.ReviewItem(
            pb.ReviewItemRequest(item_id=item_id, decision=pb.REVIEW_DECISION_APPROVED),
            metadata=expert,
        )
    return count


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


def search_mix(rng: random.Random, count: int) -> list[tuple[str, pb.SearchItemsRequest]]:
    """(kind, request) pairs: free text FR/EN with accents and prefixes, filters, sorts."""
    common, rare = VOCABULARY[:20], VOCABULARY[50:]
    size = 20
    makers: list[tuple[str, Callable[[], pb.SearchItemsRequest]]] = [
        ("text: one common word", lambda: pb.SearchItemsRequest(query=rng.choice(common))),
        ("text: one rare word", lambda: pb.SearchItemsRequest(query=rng.choice(rare))),
        (
            "text: two words, accents dropped",
            lambda: pb.SearchItemsRequest(
                query=" ".join(w.replace("é", "e") for w in rng.sample(common, 2))
            ),
        ),
        ("text: prefix", lambda: pb.SearchItemsRequest(query=rng.choice(rare)[:4].upper())),
        ("text: very rare word", lambda: pb.SearchItemsRequest(query=rng.choice(RARE_WORDS))),
        (
            "text + theme + language",
            lambda: pb.SearchItemsRequest(query=rng.choice(common), theme_id="tech", language="fr"),
        ),
        (
            "filters, recency",
            lambda: pb.SearchItemsRequest(
                theme_id=rng.choice(["tech", "soft", "law"]),
                language=rng.choice(["fr", "en"]),
                sort=pb.SEARCH_SORT_RECENCY,
            ),
        ),
        (
            "filters, popularity",
            lambda: pb.SearchItemsRequest(
                skill_id=rng.choice(SKILLS), max_minutes=60, sort=pb.SEARCH_SORT_POPULARITY
            ),
        ),
        (
            "text, recency",
            lambda: pb.SearchItemsRequest(query=rng.choice(common), sort=pb.SEARCH_SORT_RECENCY),
        ),
        (
            "type, popularity",
            lambda: pb.SearchItemsRequest(
                types=[pb.KNOWLEDGE_TYPE_WIKI], sort=pb.SEARCH_SORT_POPULARITY
            ),
        ),
    ]
    mix = []
    for n in range(count):
        kind, make = makers[n % len(makers)]
        request = make()
        request.page_size = size
        mix.append((kind, request))
    return mix


async def measure_search(
    stub: CatalogServiceAsyncStub,
    popularity: Popularity,
    item_ids: list[str],
    searches: int,
    rng: random.Random,
    results: dict[str, float],
) -> dict[str, list[float]]:
    learner = caller(["learner"], tenant=TENANT, subject="u-reader")
    by_kind: dict[str, list[float]] = {}

    async def timed(request: pb.SearchItemsRequest) -> tuple[float, pb.SearchItemsResponse]:
        started = time.perf_counter()
        response = await stub.SearchItems(request, metadata=learner)
        return (time.perf_counter() - started) * 1000, response

    cold, _ = await timed(pb.SearchItemsRequest(page_size=20))
    results["search_cold_ms"] = cold
    console.log(f"first search (loads the tenant's rows): {cold:,.0f} ms")
    after_change: list[float] = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("searching", total=searches)
        for n, (kind, request) in enumerate(search_mix(rng, searches)):
            if n % 10 == 9:  # a like lands: the next search reloads one shard
                await popularity.apply(
                    TENANT,
                    "knowledge",
                    rng.choice(item_ids),
                    uuid.uuid4().hex,
                    occurred_at=now_ms(),
                    likes=1,
                    comments=0,
                )
                elapsed, response = await timed(request)
                after_change.append(elapsed)
            else:
                elapsed, response = await timed(request)
                by_kind.setdefault(kind, []).append(elapsed)
            if response.next_page_token and n % 3 == 0:
                page_two = pb.SearchItemsRequest()
                page_two.CopyFrom(request)
                page_two.page_token = response.next_page_token
                elapsed, _ = await timed(page_two)
                by_kind.setdefault("page 2 via token", []).append(elapsed)
            progress.advance(task)
    by_kind["after a like (one shard reloaded)"] = after_change
    return by_kind


async def run(args: argparse.Namespace) -> dict[str, Any]:
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
    words = Words(rng)
    results: dict[str, Any] = {}
    client = create_mongo_client(mongo)
    # Not a replay of what earlier tests and runs published on the consumed topics.
    await start_group_at_end(kafka, settings.group_id, events.TOPICS)
    try:
        async with running_service(build, settings) as runtime, channel_to(runtime) as channel:
            stub = CatalogServiceStub(channel)
            admin = caller(["admin"], tenant=TENANT, subject="u-admin")
            for theme, parent in THEMES:
                await stub.UpsertTheme(
                    pb.UpsertThemeRequest(theme_id=theme, name=theme, parent_id=parent),
                    metadata=admin,
                )
            for skill in SKILLS:
                await stub.UpsertSkill(
                    pb.UpsertSkillRequest(skill_id=skill, name=skill, expert_ids=["u-expert"]),
                    metadata=admin,
                )

            # Baseline: raw inserts of documents of similar size on the same database.
            raw = client[database]["raw_baseline"]
            plain = [
                {
                    "_id": uuid.uuid4().hex,
                    "tenant_id": TENANT,
                    "title": words.text(5),
                    "summary": words.text(18),
                    "body": words.text(130),
                }
                for _ in range(items_count)
            ]

            async def insert_plain() -> None:
                for start in range(0, len(plain), 500):
                    await raw.insert_many(plain[start : start + 500])

            results["raw_insert_per_s"] = await _timed("raw insert_many", items_count, insert_plain)

            db = CatalogDatabase(runtime.database)
            catalog = Catalog(db, EventFactory(runtime.registry), runtime.relay.notify)
            results["seed_items_per_s"] = await _timed(
                "seed items (service item code + batched index apply)",
                items_count,
                lambda: seed_items(catalog, db, items_count, rng, words),
            )
            item_ids = [
                d["_id"] for d in await db.repo(ITEMS, TENANT).find({}, projection={"_id": 1})
            ]
            if args.grpc_items:
                results["grpc_item_chains_per_s"] = await _timed(
                    "items created, submitted, claimed, approved via gRPC",
                    args.grpc_items,
                    lambda: grpc_items(stub, args.grpc_items, rng, words),
                )
            await _timed("seed learners", learners, lambda: seed_learners(db, item_ids, learners))

            items = runtime.database[ITEMS]
            by_id = []
            for item_id in rng.sample(item_ids, min(50, len(item_ids))):
                started = time.perf_counter()
                await items.find_one({"_id": item_id, "tenant_id": TENANT})
                by_id.append((time.perf_counter() - started) * 1000)
            results["raw_find_by_id_p50_ms"] = _percentile(by_id, 0.5)
            scans = []
            for _ in range(args.raw_scans):
                started = time.perf_counter()
                await (
                    items.find({"tenant_id": TENANT, "status": "published", "theme_scope": "tech"})
                    .sort([("sort_time", -1), ("_id", -1)])
                    .limit(20)
                    .to_list()
                )
                scans.append((time.perf_counter() - started) * 1000)
            results["raw_sorted_find_p50_ms"] = _percentile(scans, 0.5)
            console.log(
                f"raw find by _id p50 {results['raw_find_by_id_p50_ms']:.1f} ms; raw filtered "
                f"sorted find p50 {results['raw_sorted_find_p50_ms']:,.0f} ms"
            )

            popularity = Popularity(db, catalog.index)
            by_kind = await measure_search(stub, popularity, item_ids, searches, rng, results)
            steady = [v for kind, values in by_kind.items() for v in values]
            results["search_p50_ms"] = _percentile(steady, 0.5)
            results["search_p99_ms"] = _percentile(steady, 0.99)
            results["search_samples"] = len(steady)
            results["search_by_kind"] = {
                kind: {
                    "samples": len(values),
                    "p50_ms": _percentile(values, 0.5),
                    "p99_ms": _percentile(values, 0.99),
                }
                for kind, values in by_kind.items()
                if values
            }
            console.log(
                f"search p50 {results['search_p50_ms']:.1f} ms, "
                f"p99 {results['search_p99_ms']:.1f} ms ({len(steady)} calls)"
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
    results["seed_vs_raw_insert"] = results["seed_items_per_s"] / results["raw_insert_per_s"]
    results["raw_sorted_find_vs_search_p50"] = (
        results["raw_sorted_find_p50_ms"] / results["search_p50_ms"]
    )
    results["search_p50_vs_raw_by_id"] = results["search_p50_ms"] / results["raw_find_by_id_p50_ms"]
    return results


def report(results: dict[str, Any], args: argparse.Namespace, *, machine: str = "") -> None:
    rows: list[tuple[str, str, str, str]] = [
        (
            "search p50 (all kinds)",
            f"{results['search_p50_ms']:,.1f} ms",
            f"raw filtered sorted find {results['raw_sorted_find_p50_ms']:,.0f} ms",
            f"{results['raw_sorted_find_vs_search_p50']:,.0f}x faster",
        ),
        (
            "search p50 vs one raw read",
            f"{results['search_p50_ms']:,.1f} ms",
            f"raw find by _id {results['raw_find_by_id_p50_ms']:,.1f} ms",
            f"{results['search_p50_vs_raw_by_id']:.1f}x",
        ),
        ("search p99 (all kinds)", f"{results['search_p99_ms']:,.1f} ms", "", ""),
        *(
            (f"  {kind}", f"{m['p50_ms']:,.1f} / {m['p99_ms']:,.1f} ms (p50/p99)", "", "")
            for kind, m in results["search_by_kind"].items()
        ),
        ("first search (loads the tenant's rows)", f"{results['search_cold_ms']:,.0f} ms", "", ""),
        (
            "seeding items (item code + index apply)",
            f"{results['seed_items_per_s']:,.1f} items/s",
            f"raw insert {results['raw_insert_per_s']:,.0f} docs/s",
            f"{results['seed_vs_raw_insert']:.2g}x",
        ),
    ]
    if "grpc_item_chains_per_s" in results:
        rows.append(
            (
                "create+submit+claim+approve via gRPC",
                f"{results['grpc_item_chains_per_s']:,.2f} items/s",
                "",
                "",
            )
        )
    rows.append(
        (
            "completions (gRPC + outbox relayed)",
            f"{results['completions_per_s']:,.1f} /s",
            f"raw insert {results['raw_insert_per_s']:,.0f} docs/s",
            f"{results['completions_vs_raw_insert']:.2g}x",
        )
    )
    title = (
        f"catalog: {args.items:,} items, {args.learners:,} learners, "
        f"{args.completions:,} completions, {args.searches} searches"
    )
    table = Table(title=title)
    for column, justify in (
        ("measure", "left"),
        ("service", "right"),
        ("baseline (same run)", "right"),
        ("ratio", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    REPORTS.mkdir(parents=True, exist_ok=True)
    meta = {
        "items": args.items,
        "learners": args.learners,
        "completions": args.completions,
        "searches": args.searches,
        "grpc_items": args.grpc_items,
        "machine": machine
        or f"{platform.machine()}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f} at the end (shared with other work)",
    }
    (REPORTS / "catalog.json").write_text(json.dumps({**meta, **results}, indent=2) + "\n")
    lines = [
        f"# catalog benchmark ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"{title}; FerretDB 1.24 (SQLite) and Kafka on the same machine ({meta['machine']}).",
        "",
        "| measure | service | baseline (same run) | ratio |",
        "|---|---:|---:|---:|",
        *(f"| {' | '.join(row)} |" for row in rows),
        "",
    ]
    (REPORTS / "catalog.md").write_text("\n".join(lines))
    console.print(f"report: {REPORTS / 'catalog.json'}, {REPORTS / 'catalog.md'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--completions", type=int, default=1000)
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--grpc-items", type=int, default=50)
    parser.add_argument("--raw-scans", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1,000 items and learners")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    parser.add_argument("--kafka", default=os.environ.get("AGORA_TEST_KAFKA", "127.0.0.1:29092"))
    parser.add_argument(
        "--mongo", default=os.environ.get("AGORA_TEST_MONGO_URI", "mongodb://127.0.0.1:27028/")
    )
    parser.add_argument(
        "--from-json", type=Path, help="only render the table and Markdown of a saved report"
    )
    args = parser.parse_args()
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        for name in ("items", "learners", "completions", "searches", "grpc_items"):
            setattr(args, name, saved.pop(name))
        report(saved, args, machine=saved.pop("machine"))
        return
    if args.quick:
        args.items, args.learners, args.completions, args.searches = 1000, 1000, 200, 90
        args.grpc_items, args.raw_scans = 10, 3
    if args.smoke:
        args.items, args.learners, args.completions, args.searches = 100, 100, 20, 10
        args.grpc_items, args.raw_scans = 3, 1
    report(asyncio.run(run(args)), args)


if __name__ == "__main__":
    main()
