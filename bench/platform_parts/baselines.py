"""Same-run baselines on the private platform's broker and database: raw batched
inserts and primary-key reads, raw pipelined aiokafka produce and consume."""

from __future__ import annotations

import random
import time
import uuid
from typing import Any

import psycopg
from psycopg import sql

from agora_core.testing.event_tap import ensure_topics
from bench import gamification as gamification_bench
from bench import platform_report
from bench.platform_parts.world import BURST_TENANT, TENANT
from bench.processes.kafka import end_offsets, raw_consume, send_all
from bench.seeding import catalog as catalog_bench


async def raw_database_baseline(dsn: str, docs: int, reads: int) -> dict[str, Any]:
    """Raw batched ``INSERT`` (rows/s) and primary-key reads (ms) on the same PostgreSQL
    (a scratch table in the catalog's database, dropped afterwards)."""
    table = f"bench_e2e_raw_{uuid.uuid4().hex[:6]}"
    words = catalog_bench.Words(random.Random(5))  # noqa: S311 - benchmark data
    rows = [(f"raw-{n}", TENANT, words.text(5), words.text(60)) for n in range(docs)]
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as connection:
        await connection.execute(
            sql.SQL(
                "CREATE TABLE {} (id text PRIMARY KEY, tenant_id text, title text, body text)"
            ).format(sql.Identifier(table))
        )
        try:
            insert = sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s)").format(sql.Identifier(table))
            began = time.perf_counter()
            for at in range(0, docs, 500):
                async with connection.transaction(), connection.cursor() as cursor:
                    await cursor.executemany(insert, rows[at : at + 500])
            insert_rate = docs / (time.perf_counter() - began)
            select = sql.SQL("SELECT * FROM {} WHERE id = %s").format(sql.Identifier(table))
            rng = random.Random(3)  # noqa: S311 - benchmark data
            samples = []
            for _ in range(reads):
                started = time.perf_counter()
                await (await connection.execute(select, (f"raw-{rng.randrange(docs)}",))).fetchone()
                samples.append((time.perf_counter() - started) * 1000)
        finally:
            await connection.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(table)))
    return {
        "raw_insert_per_s": round(insert_rate, 1),
        "raw_id_read_ms": platform_report.summary(samples),
    }


async def raw_kafka_baseline(kafka: str, count: int) -> dict[str, float]:
    """Raw pipelined aiokafka produce, then raw consume, of ``count`` knowledge.completed
    CloudEvents (the burst's records) on a scratch topic of the same broker."""
    topic = f"bench.e2e.raw.{uuid.uuid4().hex[:6]}"
    await ensure_topics(kafka, [topic])
    events = gamification_bench.completions(BURST_TENANT, count, 5000)
    produce_rate = count / await send_all(kafka, events, topic)
    start = dict.fromkeys(await end_offsets(kafka, topic), 0)  # a new topic: from the start
    consume_rate = count / await raw_consume(kafka, start, count)
    return {
        "raw_produce_per_s": round(produce_rate, 1),
        "raw_consume_per_s": round(consume_rate, 1),
    }
