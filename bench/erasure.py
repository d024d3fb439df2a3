"""Benchmark of the right to erasure against raw baselines measured in the same run.

    python bench/erasure.py [--quick] [--person-docs N] [--others N] [--mongo URI]

On FerretDB, in a community-shaped database (the community service's real erasure
plan), measures:
- erasing one person who wrote ``N`` comments, gave ``N`` likes, is mentioned in ``N``
  comments of others and has memberships, expert entries, participation markers and
  rate windows, among ``--others`` documents of other people: seconds for the whole
  erasure (tombstone, custom step, every plan step), beside the raw writes that do the
  same job with nothing around them (``delete_many`` and ``update_many`` with ``$set``)
  on an identical copy;
- the guard every consumed event now passes (one ``_id $in`` lookup of the event's
  id-like values in the tombstones), p50/p99, beside a raw ``find_one`` by ``_id``.

Prints a table and writes ``bench/reports/erasure.json`` and ``erasure.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from agora_community.adapters import collections as names
from agora_community.adapters.repository import CommunityStore
from agora_community.service_layer.erasure import ERASURE_PLAN, leave_spaces
from agora_contracts.events.domains.privacy import ERASED_PERSON_PLACEHOLDER
from agora_core.privacy import ErasedPersons, PersonEraser
from agora_core.storage import Document, create_mongo_client
from bench import SMOKE_HELP, reports_dir

REPORTS = reports_dir()
console = Console()
TENANT = "bench"
ADA = "u-ada"


def _documents(person_docs: int, others: int) -> dict[str, list[Document]]:
    """The person's data, the mentions of them, and other people's data."""
    t = TENANT
    docs: dict[str, list[Document]] = {
        name: []
        for name in (
            names.COMMENTS,
            names.LIKES,
            names.MEMBERSHIPS,
            names.EXPERTS,
            names.PARTICIPANTS,
            names.RATE_WINDOWS,
            names.SPACES,
        )
    }
    for i in range(person_docs):
        docs[names.COMMENTS].append(
            {
                "_id": f"c-ada-{i}",
                "tenant_id": t,
                "author_id": ADA,
                "target_id": f"k-{i % 50}",
                "body": f"My note {i}",
                "mentioned_user_ids": [],
            }
        )
        docs[names.COMMENTS].append(
            {
                "_id": f"c-men-{i}",
                "tenant_id": t,
                "author_id": f"u-{i % 97}",
                "target_id": f"k-{i % 50}",
                "body": f"Thanks @{ADA}!",
                "mentioned_user_ids": [ADA],
            }
        )
        docs[names.LIKES].append(
            {
                "_id": f"{t}:knowledge:k-{i}:{ADA}",
                "tenant_id": t,
                "user_id": ADA,
                "owner_id": "u-grace",
                "active": True,
            }
        )
        docs[names.PARTICIPANTS].append({"_id": f"{t}:knowledge:k-{i}:{ADA}", "tenant_id": t})
    for i in range(10):
        docs[names.SPACES].append(
            {"_id": f"s-{i}", "tenant_id": t, "member_count": 5, "created_by": "u-grace"}
        )
        docs[names.MEMBERSHIPS].append(
            {
                "_id": f"{t}:s-{i}:{ADA}",
                "tenant_id": t,
                "user_id": ADA,
                "space_id": f"s-{i}",
                "state": "active",
                "role": "member",
            }
        )
        docs[names.EXPERTS].append(
            {"_id": f"{t}:skill-{i}:{ADA}", "tenant_id": t, "user_id": ADA, "score": 3}
        )
        docs[names.RATE_WINDOWS].append(
            {"_id": f"{t}:rate:post:{ADA}:{i}", "tenant_id": t, "count": 1}
        )
    for i in range(others):
        docs[names.COMMENTS].append(
            {
                "_id": f"c-other-{i}",
                "tenant_id": t,
                "author_id": f"u-{i % 500}",
                "target_id": f"k-{i % 50}",
                "body": f"Comment {i}",
                "mentioned_user_ids": [],
            }
        )
        docs[names.LIKES].append(
            {
                "_id": f"{t}:knowledge:k-{i}:u-{i % 500}",
                "tenant_id": t,
                "user_id": f"u-{i % 500}",
                "owner_id": "u-grace",
                "active": True,
            }
        )
    return docs


async def _seed(database: AsyncDatabase[Document], docs: dict[str, list[Document]]) -> None:
    for name, documents in docs.items():
        for start in range(0, len(documents), 500):
            await database[name].insert_many(documents[start : start + 500], ordered=False)


async def erase_with_service(database: AsyncDatabase[Document]) -> float:
    """The community service's eraser, as its consumer runs it."""

    def store(tenant_id: str) -> CommunityStore:
        return CommunityStore(database, tenant_id, lambda _hint=None, /: None)

    async def left_spaces(tenant_id: str, person_id: str, _pseudonym: str) -> int:
        return await leave_spaces(store(tenant_id), person_id)

    eraser = PersonEraser(database, ERASURE_PLAN, before=[("left_spaces", left_spaces)])
    started = time.perf_counter()
    await eraser.erase(TENANT, ADA)
    return time.perf_counter() - started


async def erase_raw(database: AsyncDatabase[Document]) -> float:
    """The same end state with bare writes: no tombstone, no per-document rewrite."""
    t = {"tenant_id": TENANT}
    started = time.perf_counter()
    await database[names.SPACES].update_many(t, {"$inc": {"member_count": -1}})
    for name, field in (
        (names.MEMBERSHIPS, "user_id"),
        (names.LIKES, "user_id"),
        (names.EXPERTS, "user_id"),
    ):
        await database[name].delete_many({**t, field: ADA})
    for name in (names.PARTICIPANTS, names.RATE_WINDOWS):
        await database[name].delete_many({**t, "_id": {"$regex": f":{ADA}(:|$)"}})
    await database[names.COMMENTS].update_many(
        {**t, "author_id": ADA}, {"$set": {"author_id": ERASED_PERSON_PLACEHOLDER}}
    )
    await database[names.COMMENTS].update_many(
        {**t, "mentioned_user_ids": ADA},
        {
            "$set": {
                "mentioned_user_ids": [ERASED_PERSON_PLACEHOLDER],
                "body": f"Thanks @{ERASED_PERSON_PLACEHOLDER}!",
            }
        },
    )
    return time.perf_counter() - started


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def guard_latency(database: AsyncDatabase[Document], samples: int) -> dict[str, float]:
    tombstones = ErasedPersons(database)
    for i in range(50):
        await tombstones.begin(TENANT, f"u-erased-{i}")
    await database["plain"].insert_one({"_id": "x", "tenant_id": TENANT})
    guard: list[float] = []
    raw: list[float] = []
    for i in range(samples):
        values = [f"u-{i}", f"k-{i}", f"like-{uuid.uuid4().hex}", "knowledge", "u-grace"]
        started = time.perf_counter()
        await tombstones.any_erased(TENANT, values)
        guard.append(time.perf_counter() - started)
        started = time.perf_counter()
        await database["plain"].find_one({"_id": "x"})
        raw.append(time.perf_counter() - started)
    return {
        "guard_p50_ms": statistics.median(guard) * 1000,
        "guard_p99_ms": _percentile(guard, 0.99) * 1000,
        "raw_find_p50_ms": statistics.median(raw) * 1000,
        "raw_find_p99_ms": _percentile(raw, 0.99) * 1000,
    }


async def run(person_docs: int, others: int, samples: int, mongo_uri: str) -> dict[str, Any]:
    client = create_mongo_client(mongo_uri)
    run_id = uuid.uuid4().hex[:8]
    service_db = client[f"bench_erasure_service_{run_id}"]
    raw_db = client[f"bench_erasure_raw_{run_id}"]
    guard_db = client[f"bench_erasure_guard_{run_id}"]
    results: dict[str, Any] = {"person_docs": person_docs, "others": others}
    try:
        with Progress(console=console) as progress:
            task = progress.add_task("erasure benchmark", total=4)
            docs = _documents(person_docs, others)
            await _seed(service_db, docs)
            await _seed(raw_db, docs)
            results["documents"] = sum(len(d) for d in docs.values())
            progress.advance(task)
            results["raw_seconds"] = await erase_raw(raw_db)
            progress.advance(task)
            results["service_seconds"] = await erase_with_service(service_db)
            results["service_rerun_seconds"] = await erase_with_service(service_db)
            progress.advance(task)
            results.update(await guard_latency(guard_db, samples))
            progress.advance(task)
    finally:
        for database in (service_db, raw_db, guard_db):
            await client.drop_database(database.name)
        await client.close()
    results["service_vs_raw"] = results["service_seconds"] / results["raw_seconds"]
    results["guard_vs_raw_find"] = results["guard_p50_ms"] / results["raw_find_p50_ms"]
    return results


def report(results: dict[str, Any]) -> None:
    title = (
        f"right to erasure: {results['person_docs']} of each kind of the person's documents "
        f"among {results['documents']:,} (FerretDB)"
    )
    table = Table(title=title)
    for column in ("measure", "agora", "raw baseline (same run)", "ratio"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    rows = [
        (
            "erase one person (s)",
            f"{results['service_seconds']:.2f}",
            f"{results['raw_seconds']:.2f}",
            f"{results['service_vs_raw']:.2f}x",
        ),
        ("erase again: nothing left (s)", f"{results['service_rerun_seconds']:.2f}", "", ""),
        (
            "guard per consumed event p50 / p99 (ms)",
            f"{results['guard_p50_ms']:.2f} / {results['guard_p99_ms']:.2f}",
            f"{results['raw_find_p50_ms']:.2f} / {results['raw_find_p99_ms']:.2f}",
            f"{results['guard_vs_raw_find']:.2f}x",
        ),
    ]
    for row in rows:
        table.add_row(*row)
    console.print(table)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "erasure.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [f"# {title}", "", "| measure | agora | raw baseline | ratio |", "|---|---:|---:|---:|"]
    lines += [f"| {' | '.join(row)} |" for row in rows]
    (REPORTS / "erasure.md").write_text("\n".join(lines) + "\n")
    console.print(f"report: {REPORTS / 'erasure.json'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="200 documents per kind, 2,000 others")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    parser.add_argument("--person-docs", type=int, default=1000)
    parser.add_argument("--others", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument(
        "--mongo", default=os.environ.get("AGORA_TEST_MONGO_URI", "mongodb://127.0.0.1:27028/")
    )
    args = parser.parse_args()
    if args.quick:
        args.person_docs, args.others, args.samples = 200, 2000, 200
    if args.smoke:
        args.person_docs, args.others, args.samples = 20, 200, 20
    report(asyncio.run(run(args.person_docs, args.others, args.samples, args.mongo)))


if __name__ == "__main__":
    main()
