"""Benchmark of dead-letter replay against a raw copy measured in the same run.

    python bench/replay.py [--records N] [--kafka HOST:PORT]

On the same Kafka broker, with N dead letters (realistic headers, 200-byte payloads)
in ``<topic>.dlq``:
- raw baseline: aiokafka reads the DLQ (no group) and re-produces every record,
  pipelined, to another topic;
- ``replay_dead_letters``: the same records back to ``<topic>`` with the
  ``agora-dlq-*`` headers stripped, progress committed per batch (records/s, ratio);
- the same replay run again, which must send nothing (its cost: reading the committed
  position and the end offsets).

Prints a table and writes ``bench/reports/replay.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from agora_core.messaging.dead_letters import dlq_topic
from agora_core.messaging.kafka_connection import create_broker
from agora_core.messaging.publisher import EventPublisher
from agora_core.messaging.replay import replay_dead_letters
from bench import SMOKE_HELP, add_infrastructure_arguments, reports_dir

REPORT = reports_dir() / "replay.json"
console = Console()
Headers = list[tuple[str, bytes]]


def _dead_letter(i: int, topic: str) -> tuple[bytes, bytes, Headers]:
    headers = {
        "ce_specversion": "1.0",
        "ce_id": str(uuid.uuid4()),
        "ce_source": "/agora/community",
        "ce_type": "org.agora.community.like.added.v1",
        "ce_time": "2026-11-23T10:00:00Z",
        "ce_subject": f"k-{i % 997}",
        "ce_tenantid": f"tenant-{i % 7}",
        "content-type": "application/json",
        "agora-dlq-reason": "retries-exhausted",
        "agora-dlq-error": "RuntimeError('scoring backend unavailable')",
        "agora-dlq-topic": topic,
        "agora-dlq-partition": str(i % 3),
        "agora-dlq-offset": str(i),
        "agora-dlq-group": "agora-gamification",
        "agora-dlq-attempts": "4",
        "agora-dlq-time": "2026-11-23T10:00:05+00:00",
    }
    value = json.dumps(
        {"target_id": f"k-{i % 997}", "liker_id": f"user-{i}", "padding": "x" * 120}
    ).encode()
    return f"k-{i % 997}".encode(), value, [(k, v.encode()) for k, v in headers.items()]


async def _produce(kafka: str, topic: str, records: list[tuple[bytes, bytes, Headers]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka, acks="all", enable_idempotence=True, linger_ms=5
    )
    await producer.start()
    try:
        futures = [
            await producer.send(topic, value, key=key, headers=headers)
            for key, value, headers in records
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def raw_copy(kafka: str, source: str, target: str, count: int) -> float:
    """Read ``source`` from the start (no group) and re-produce every record, pipelined."""
    consumer = AIOKafkaConsumer(
        source, bootstrap_servers=kafka, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka, acks="all", enable_idempotence=True, linger_ms=5
    )
    await consumer.start()
    await producer.start()
    started = time.perf_counter()
    try:
        seen = 0
        pending = []
        while seen < count:
            batch = await consumer.getmany(timeout_ms=1000, max_records=500)
            for records in batch.values():
                for record in records:
                    pending.append(
                        await producer.send(
                            target, record.value, key=record.key, headers=list(record.headers)
                        )
                    )
                    seen += 1
        await asyncio.gather(*pending)
    finally:
        await consumer.stop()
        await producer.stop()
    return count / (time.perf_counter() - started)


async def run(count: int, kafka: str) -> dict[str, float]:
    unique = f"b{uuid.uuid4().hex[:8]}"
    topic = f"agora.{unique}.likes.v1"
    dead_letters = dlq_topic(topic)
    copy_target = f"agora.{unique}.copy.v1"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    await admin.create_topics(
        [
            NewTopic(t, num_partitions=3, replication_factor=1)
            for t in (topic, dead_letters, copy_target)
        ]
    )
    await admin.close()
    results: dict[str, float] = {}
    with Progress(console=console, transient=True) as progress:
        step = progress.add_task("dead letters", total=4)
        await _produce(kafka, dead_letters, [_dead_letter(i, topic) for i in range(count)])
        progress.update(step, advance=1, description="raw copy")
        results["raw_copy_per_s"] = await raw_copy(kafka, dead_letters, copy_target, count)
        progress.update(step, advance=1, description="replay")

        broker = create_broker(kafka, client_id=f"bench-{unique}")
        await broker.start()
        publisher = EventPublisher(broker, service="bench")
        try:
            started = time.perf_counter()
            first = await replay_dead_letters(kafka, publisher, topic, max_records=count)
            results["replay_per_s"] = count / (time.perf_counter() - started)
            assert first.replayed == count, first
            progress.update(step, advance=1, description="replay again")
            started = time.perf_counter()
            again = await replay_dead_letters(kafka, publisher, topic, max_records=count)
            results["second_run_seconds"] = time.perf_counter() - started
            assert again.replayed == 0, again
        finally:
            await broker.stop()
        progress.update(step, advance=1)
    results["replay_vs_raw_copy"] = results["replay_per_s"] / results["raw_copy_per_s"]
    return results


def report(results: dict[str, float], count: int) -> None:
    table = Table(title=f"dead-letter replay, {count} records")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("baseline", justify="right")
    table.add_column("ratio", justify="right")
    table.add_row("raw read + re-produce", f"{results['raw_copy_per_s']:,.0f}/s", "", "")
    table.add_row(
        "replay_dead_letters",
        f"{results['replay_per_s']:,.0f}/s",
        "raw copy",
        f"{results['replay_vs_raw_copy']:.2f}x",
    )
    table.add_row("same replay again (sends 0)", f"{results['second_run_seconds']:.2f} s", "", "")
    console.print(table)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps({"records": count, **results}, indent=2) + "\n")
    console.print(f"report: {REPORT}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    add_infrastructure_arguments(parser, postgres=False)
    args, _ = parser.parse_known_args()  # make bench may pass --quick to every benchmark
    records = 100 if args.smoke else args.records
    report(asyncio.run(run(records, args.kafka)), records)


if __name__ == "__main__":
    main()
