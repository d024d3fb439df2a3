"""The phases of a run: one load level, a burst drained by every consumer, settling
between them."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import grpc.aio
from rich.progress import Progress

from agora_contracts.events.domains import learning
from agora_demo.platform import Platform
from bench import gamification as gamification_bench
from bench import platform_report
from bench.platform_parts.echo import closed_loop
from bench.platform_parts.load import READ_MIX, WRITE_MIX, Load, Recorder, paced, weighted
from bench.platform_parts.sampling import SAMPLE_SECONDS, Sampler
from bench.platform_parts.world import BURST_TENANT, World, console
from bench.processes.kafka import end_offsets, raw_consume, send_all


async def settle(sampler: Sampler, limit: float) -> float:
    """Wait until every consumer has caught up (total lag ≤ 5) or ``limit`` seconds
    pass, so that one level's backlog does not count against the next; seconds waited."""
    sampler.phase = "settle"
    began = time.monotonic()
    with console.status("consumers catching up"):
        while time.monotonic() - began < limit:
            await asyncio.sleep(SAMPLE_SECONDS)
            if sampler.t and sum(v[-1] for v in sampler.lag.values()) <= 5:
                break
    return round(time.monotonic() - began, 1)


@dataclass(frozen=True)
class ReadCapacity:
    """Closed-loop reads during a level: the platform's read mix, then the bare echo
    server, each by ``concurrency`` callers for ``seconds``, while the level's load runs."""

    echo: Callable[[], Awaitable[Any]]
    concurrency: int
    seconds: float

    async def measure(self, load: Load, level_seconds: float) -> dict[str, Any]:
        seconds = min(self.seconds, level_seconds / 2.5)
        # Centred in the level, so both passes see its load in full.
        await asyncio.sleep(max(0.0, (level_seconds - 2 * seconds) / 2))
        reads = await closed_loop(
            lambda n: load.read(weighted(READ_MIX, n)), self.concurrency, seconds
        )
        echo = await closed_loop(lambda _: self.echo(), self.concurrency, seconds)
        ratio = reads["per_s"] / echo["per_s"] if echo["per_s"] else 0.0
        return {"platform_reads": reads, "bare_echo": echo, "ratio": round(ratio, 4)}


async def run_level(
    p: Platform,
    world: World,
    sampler: Sampler,
    replicas: int,
    level: int,
    seconds: float,
    probe_interval: float,
    progress: Progress,
    capacity: ReadCapacity,
) -> dict[str, Any]:
    """One load level; its figures."""
    load = Load(p, world, seed=level * 10 + replicas)
    recorder = Recorder()
    points: list[float] = []
    inbox: list[float] = []
    probes = itertools.count()
    sampler.phase = f"{replicas}x{level}/s"
    since = round(time.monotonic() - sampler.began, 1)
    before = await sampler.counters()
    began = time.monotonic()
    task = progress.add_task(f"{replicas} replica(s), {level} events/s", total=seconds)

    async def ticker() -> None:
        while True:
            await asyncio.sleep(1)
            progress.update(task, completed=min(seconds, time.monotonic() - began))

    async def probing() -> None:
        # One probe at a time, one every ``probe_interval`` s at most: the probes'
        # polling must stay a small part of the load they measure.
        while time.monotonic() - began < seconds:
            started = time.monotonic()
            learner = f"probe-{replicas}-{level}-{next(probes)}-{uuid.uuid4().hex[:4]}"
            try:
                if not await load.probe(learner, points, inbox):
                    recorder.errors["probe:timeout"] = recorder.errors.get("probe:timeout", 0) + 1
            except grpc.aio.AioRpcError as error:
                key = f"probe:{error.code().name}"
                recorder.errors[key] = recorder.errors.get(key, 0) + 1
            await asyncio.sleep(max(0.0, probe_interval - (time.monotonic() - started)))

    tick = asyncio.create_task(ticker())
    reads_task = asyncio.create_task(capacity.measure(load, seconds))
    probing_task = asyncio.create_task(probing())
    try:
        skipped = await asyncio.gather(
            paced(
                level,
                seconds,
                lambda n: recorder.timed(k := weighted(WRITE_MIX, n), load.write(k)),
                limit=max(50, level * 4),
            ),
            paced(
                level / 2,
                seconds,
                lambda n: recorder.timed(k := weighted(READ_MIX, n), load.read(k)),
                limit=max(25, level * 2),
            ),
        )
        await probing_task
        reads_capacity = await reads_task
        elapsed = time.monotonic() - began
        after = await sampler.counters()
    finally:
        tick.cancel()
        reads_task.cancel()  # done unless the load failed
        progress.update(task, completed=seconds)
    lag, rss = sampler.window(since)
    cpu = sampler.cpu_window(since)
    consumed = {
        service: round((after[service][0] - before.get(service, (0.0, {}))[0]) / elapsed, 2)
        for service in after
    }
    probe_count = next(probes)
    return {
        "replicas": replicas,
        "level": level,
        "seconds": round(elapsed, 1),
        "achieved_per_s": round(recorder.made / seconds, 2),
        "skipped": sum(skipped),
        "errors": recorder.errors,
        "consumed_per_s": consumed,
        "writes_ms": {
            k: platform_report.summary(v) for k, v in recorder.latencies.items() if k in WRITE_MIX
        },
        "reads_ms": {k: platform_report.summary(recorder.latencies.get(k, [])) for k in READ_MIX},
        "points_visible_ms": platform_report.summary(points),
        "inbox_ms": platform_report.summary(inbox),
        "probes": probe_count,
        "probes_missing": probe_count - len(inbox),
        "lag_max": lag,
        "rss_mb_max": rss,
        "cpu_pct_mean": cpu,
        "reads_vs_echo": reads_capacity,
    }


async def burst(
    kafka: str, sampler: Sampler, replicas: int, events: int, timeout: float
) -> dict[str, Any]:
    """Completions produced straight to the topic; each consumer's drain rate, and the
    raw produce/consume of the same records."""
    sampler.phase = f"{replicas}x burst"
    topic = learning.COMPLETIONS_TOPIC
    before = {s: topics.get(topic, 0.0) for s, (_, topics) in (await sampler.counters()).items()}
    batch = gamification_bench.completions(BURST_TENANT, events, 5000)
    start = await end_offsets(kafka, topic)
    began = time.perf_counter()
    produce_rate = events / await send_all(kafka, batch)
    rates: dict[str, float] = {}
    with console.status(f"{replicas} gamification replica(s): draining {events} completions"):
        while len(rates) < len(before) and time.perf_counter() - began < timeout:
            await asyncio.sleep(0.5)
            now = await sampler.counters()
            for service, (_, topics) in now.items():
                done = topics.get(topic, 0.0) - before.get(service, 0.0)
                if service not in rates and done >= events:
                    rates[service] = events / (time.perf_counter() - began)
        now = await sampler.counters()
        elapsed = time.perf_counter() - began
        for service, (_, topics) in now.items():
            # Not drained within the timeout: the rate of what it did handle.
            rates.setdefault(service, (topics.get(topic, 0.0) - before.get(service, 0.0)) / elapsed)
    raw = events / await raw_consume(kafka, start, events)
    return {
        "replicas": replicas,
        "events": events,
        "per_s": {k: round(v, 2) for k, v in rates.items()},
        "raw_produce_per_s": round(produce_rate, 1),
        "raw_consume_per_s": round(raw, 1),
    }
