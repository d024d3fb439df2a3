"""What is sampled while the load runs: every service's /metrics (events consumed,
consumer lag) and every process's RSS and CPU, every ``SAMPLE_SECONDS``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bench.platform_parts.world import Processes
from bench.processes.cpu import cpu_seconds

SAMPLE_SECONDS = 2.0


async def scrape(http: aiohttp.ClientSession, url: str) -> tuple[float, float, dict[str, float]]:
    """(events consumed, consumer lag, consumed per topic) from one /metrics page."""
    async with http.get(url) as response:
        text = await response.text()
    consumed = lag = 0.0
    per_topic: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "agora_events_consumed_total":
                consumed += sample.value
                topic = sample.labels.get("topic", "")
                per_topic[topic] = per_topic.get(topic, 0.0) + sample.value
            elif sample.name == "agora_consumer_lag":
                lag += sample.value
    return consumed, lag, per_topic


def rss_mb(pid: int) -> float:
    """VmRSS of ``pid`` in MB (0 if it is gone)."""
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Sampler:
    """Every SAMPLE_SECONDS: lag per service, RSS per process, labelled with the phase."""

    processes: Processes
    http: aiohttp.ClientSession
    phase: str = "idle"
    began: float = field(default_factory=time.monotonic)
    t: list[float] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)
    lag: dict[str, list[float]] = field(default_factory=dict)
    rss: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    """Per process, % of one core since the previous sample (which resource saturates)."""
    load: list[float] = field(default_factory=list)
    """The machine's one-minute load average at each sample (other users included)."""
    _cpu_last: dict[str, tuple[float, float]] = field(default_factory=dict)

    async def counters(self) -> dict[str, tuple[float, dict[str, float]]]:
        """Events consumed so far per service (replicas summed), total and per topic."""
        out: dict[str, tuple[float, dict[str, float]]] = {}
        # A copy: a replica joins the dictionaries while a scrape below is awaited.
        for name, url in list(self.processes.metrics.items()):
            service = name.split("#")[0]
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                consumed, _, topics = await scrape(self.http, url)
                total, merged = out.get(service, (0.0, {}))
                for topic, value in topics.items():
                    merged[topic] = merged.get(topic, 0.0) + value
                out[service] = (total + consumed, merged)
        return out

    async def sample(self) -> None:
        lags: dict[str, float] = {}
        for name, url in list(self.processes.metrics.items()):
            service = name.split("#")[0]
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                _, lag, _ = await scrape(self.http, url)
                lags[service] = lags.get(service, 0.0) + lag
        n = len(self.t)
        self.t.append(round(time.monotonic() - self.began, 1))
        self.phases.append(self.phase)
        for name, value in lags.items():
            self.lag.setdefault(name, [0.0] * n).append(value)
        self.load.append(round(os.getloadavg()[0], 2))
        for name, pid in list(self.processes.pids.items()):
            self.rss.setdefault(name, [0.0] * n).append(round(rss_mb(pid), 1))
            now, used = time.monotonic(), cpu_seconds(pid)
            last_at, last_used = self._cpu_last.get(name, (now, used))
            self._cpu_last[name] = (now, used)
            share = 100 * (used - last_used) / (now - last_at) if now > last_at else 0.0
            self.cpu.setdefault(name, [0.0] * n).append(round(share, 1))
        for values in (*self.lag.values(), *self.rss.values(), *self.cpu.values()):
            if len(values) < n + 1:
                values.append(values[-1] if values else 0.0)

    async def run(self) -> None:
        while True:
            await self.sample()
            await asyncio.sleep(SAMPLE_SECONDS)

    @staticmethod
    def check(task: asyncio.Task[None]) -> None:
        """Raise what stopped the sampling ``task``, if it stopped: a dead sampler would
        leave every later level with no lag and no RSS (it once died silently when the
        second replica joined)."""
        if task.done():
            task.result()

    def window(self, since: float) -> tuple[dict[str, float], dict[str, float]]:
        """(max lag, max RSS) per name among the samples taken after ``since``."""
        first = self._first(since)
        lag = {k: max(v[first:], default=0.0) for k, v in self.lag.items()}
        rss = {k: max(v[first:], default=0.0) for k, v in self.rss.items()}
        return lag, rss

    def cpu_window(self, since: float) -> dict[str, float]:
        """Mean % of one core per process, and the mean load average ("load"), among
        the samples taken after ``since``."""
        first = self._first(since)
        means = {k: round(statistics.fmean(v[first:]), 1) for k, v in self.cpu.items() if v[first:]}
        if self.load[first:]:
            means["load"] = round(statistics.fmean(self.load[first:]), 2)
        return means

    def _first(self, since: float) -> int:
        return next((i for i, t in enumerate(self.t) if t >= since), len(self.t))

    def series(self) -> dict[str, Any]:
        return {
            "t": self.t,
            "phase": self.phases,
            "lag": self.lag,
            "rss_mb": self.rss,
            "cpu_pct": self.cpu,
            "load_average": self.load,
        }
