"""The RSS soak: completions at a steady offered rate for many minutes while every
process's RSS is sampled; growth is the median of the last quarter of the samples
beside the median of the first quarter (one slow leak shows, a garbage collection's
saw-tooth does not), and the rate actually sustained is reported beside the rate offered.

    python -m bench.platform_e2e --soak MINUTES [--soak-rate 200]

Its report is ``platform_soak.json`` / ``.png`` (``platform_soak-quick`` with
``--quick``); ``--smoke`` runs a few seconds of it after the levels, for CI.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.table import Table

from agora_demo.platform import Platform
from bench import platform_report
from bench.platform_parts.chart import finish, save
from bench.platform_parts.load import Load, Recorder, paced
from bench.platform_parts.sampling import Sampler
from bench.platform_parts.world import World, console

GOAL_RATE_PER_S: Final = 200
GOAL_MINUTES: Final = 20.0
GROWTH_LIMIT_PCT: Final = 10.0
WINDOW_SECONDS: Final = 30.0
INFRASTRUCTURE: Final = ("kafka", "postgres")


def growth(values: Sequence[float]) -> dict[str, float]:
    """First- and last-quarter medians of ``values`` (MB) and the growth between them, %."""
    quarter = max(1, len(values) // 4)
    first = statistics.median(values[:quarter]) if values else 0.0
    last = statistics.median(values[-quarter:]) if values else 0.0
    pct = 100 * (last - first) / first if first else 0.0
    return {
        "first_quarter_mb": round(first, 1),
        "last_quarter_mb": round(last, 1),
        "growth_pct": round(pct, 2),
        "max_mb": round(max(values, default=0.0), 1),
    }


async def soak(
    p: Platform, world: World, sampler: Sampler, rate: float, minutes: float
) -> dict[str, Any]:
    """``minutes`` of completions offered at ``rate`` per second (open loop; at most
    four times ``rate`` in flight, the rest skipped and counted); the rate sustained per window
    of ``WINDOW_SECONDS`` and every process's RSS growth."""
    load = Load(p, world, seed=7)
    recorder = Recorder()
    sampler.phase = f"soak {rate:g}/s"
    first = len(sampler.t)
    began = time.monotonic()
    # One paced run for the whole soak, so completions are offered all the time; the
    # windows only read the counters beside it (a run per window waited for its calls
    # in flight before the next began, and offered about half the time).
    pacing = asyncio.create_task(
        paced(
            rate,
            minutes * 60,
            lambda _: recorder.timed("complete", load.write("complete")),
            limit=max(50, int(rate * 4)),
        )
    )
    windows: list[dict[str, Any]] = []
    while not pacing.done():
        before, answered = await sampler.counters(), len(recorder.latencies.get("complete", []))
        start = time.monotonic()
        await asyncio.wait({pacing}, timeout=WINDOW_SECONDS)
        elapsed = time.monotonic() - start
        after = await sampler.counters()
        done = len(recorder.latencies.get("complete", [])) - answered
        windows.append(
            {
                "t": round(time.monotonic() - began, 1),
                "completions_per_s": round(done / elapsed, 2),
                "consumed_per_s": {
                    s: round((after[s][0] - before.get(s, (0.0, {}))[0]) / elapsed, 2)
                    for s in after
                },
            }
        )
        console.log(f"soak {windows[-1]['t']:.0f} s: {windows[-1]['completions_per_s']}/s")
    skipped = pacing.result()
    elapsed = time.monotonic() - began
    await sampler.sample()  # the last quarter's end
    rss = {name: values[first:] for name, values in sampler.rss.items()}
    answered = len(recorder.latencies.get("complete", []))
    return {
        "rate_offered_per_s": rate,
        "skipped": skipped,
        "minutes_planned": minutes,
        "seconds": round(elapsed, 1),
        "sustained": {
            "completions_per_s": round(answered / elapsed, 2),
            "consumed_per_s": {
                s: round(statistics.fmean(w["consumed_per_s"].get(s, 0.0) for w in windows), 2)
                for s in windows[-1]["consumed_per_s"]
            }
            if windows
            else {},
        },
        "completion_ms": platform_report.summary(recorder.latencies.get("complete", [])),
        "errors": recorder.errors,
        "windows": windows,
        "rss": {name: growth(values) for name, values in rss.items()},
        "load_average": {
            "mean": round(statistics.fmean(sampler.load[first:] or [0.0]), 2),
            "max": max(sampler.load[first:], default=0.0),
        },
        "series": {
            "t": [round(t - sampler.t[first], 1) for t in sampler.t[first:]],
            "rss_mb": rss,
            "load_average": sampler.load[first:],
        },
    }


def goals(soak_figures: Mapping[str, Any]) -> list[platform_report.GoalResult]:
    """No service's RSS growing more than 10 % over a 20-minute soak at 200/s: met only
    if the soak ran that long at that rate sustained."""
    minutes = soak_figures["seconds"] / 60
    sustained = soak_figures["sustained"]["completions_per_s"]
    full = minutes >= GOAL_MINUTES and sustained >= GOAL_RATE_PER_S
    note = f"{minutes:.1f} min, {sustained:g} completions/s sustained" + (
        "" if full else f" (the goal: {GOAL_MINUTES:g} min at {GOAL_RATE_PER_S}/s)"
    )
    results = []
    for name, figures in sorted(soak_figures["rss"].items()):
        if name in INFRASTRUCTURE:
            continue  # shown, not judged (as in the load levels)
        result = platform_report.ceiling_goal(
            f"{name} RSS growth over the soak",
            GROWTH_LIMIT_PCT,
            max(0.0, figures["growth_pct"]),
            "%",
            note,
        )
        met = result.met and full
        results.append(platform_report.GoalResult(**{**asdict(result), "met": met}))
    return results


def print_table(report: Mapping[str, Any], out: Console) -> None:
    figures = report["soak"]
    table = Table(title=f"RSS over the soak ({figures['seconds'] / 60:.1f} min)")
    for column in ("process", "first quarter MB", "last quarter MB", "growth %", "max MB"):
        table.add_column(column, justify="right" if column != "process" else "left")
    for name, rss in sorted(figures["rss"].items()):
        table.add_row(
            name,
            f"{rss['first_quarter_mb']:,.1f}",
            f"{rss['last_quarter_mb']:,.1f}",
            f"{rss['growth_pct']:+.2f}",
            f"{rss['max_mb']:,.1f}",
        )
    table.caption = (
        f"offered {figures['rate_offered_per_s']:g} completions/s, sustained "
        f"{figures['sustained']['completions_per_s']:g}/s; consumed/s "
        f"{figures['sustained']['consumed_per_s']}; load average mean "
        f"{figures['load_average']['mean']}, max {figures['load_average']['max']}"
    )
    out.print(table)
    out.print(platform_report.goals_table(goals(figures), digits=2))


def write_json(report: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {**report, "goals": [asdict(g) for g in goals(report["soak"])]}
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_chart(report: Mapping[str, Any], path: Path) -> None:
    """RSS of every process over the soak (left), the rate sustained per window (right)."""
    import matplotlib  # only the chart needs it (a dev dependency)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = report["soak"]
    series = figures["series"]
    figure, (rss, rate) = plt.subplots(1, 2, figsize=(16, 6))
    figure.suptitle(
        f"Agora RSS soak · {figures['seconds'] / 60:.1f} min, offered "
        f"{figures['rate_offered_per_s']:g} completions/s · {report['meta'].get('started', '')}"
        f" · load average mean {figures['load_average']['mean']}",
        fontsize=12,
    )
    for name, values in sorted(series["rss_mb"].items()):
        growth_pct = figures["rss"][name]["growth_pct"]
        rss.plot(series["t"], values, label=f"{name} ({growth_pct:+.1f} %)", linewidth=1.2)
    finish(
        rss,
        "RSS (MB): growth = last-quarter median vs first-quarter median",
        "seconds since the soak began",
    )
    windows = figures["windows"]
    times = [w["t"] for w in windows]
    rate.plot(times, [w["completions_per_s"] for w in windows], "o-", label="completions answered")
    for service in sorted(windows[-1]["consumed_per_s"] if windows else ()):
        rate.plot(times, [w["consumed_per_s"].get(service, 0) for w in windows], ".--",
                  label=f"{service} consumed")  # fmt: skip
    rate.axhline(figures["rate_offered_per_s"], color="red", linestyle=":", label="offered")
    finish(
        rate,
        f"per second, per {WINDOW_SECONDS:g} s window",
        "seconds since the soak began (window end)",
    )
    save(figure, path)
