"""The pure half of ``bench/platform_e2e.py``: latency summaries, the issue's goals,
and ``platform.json`` (the tables: ``platform_parts/tables.py``, the chart:
``platform_parts/chart.py``).

No I/O but the report files, so ``tests/bench_unit`` checks it from a fixture report
without starting anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from bench.gamification_parts.board import percentile

Report = dict[str, Any]
"""The JSON report: ``meta``, ``baselines``, ``runs``, ``capacity``, ``series``, ``goals``."""

GOAL_LOAD_PER_S = 500
POINTS_VISIBLE_P99_MS = 200.0
CONSUMER_VS_RAW = 0.3
INBOX_P99_MS = 1000.0
LEADERBOARD_P99_MS = 10.0
LEADERBOARD_LEARNERS = 1_000_000
RSS_LIMIT_MB = 300.0
READS_VS_ECHO = 0.5


def summary(samples: Sequence[float]) -> dict[str, float]:
    """Count, p50/p95/p99 and max of ``samples`` (ms); zeros when there are none."""
    if not samples:
        return {"n": 0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    return {
        "n": len(samples),
        "p50": round(percentile(list(samples), 50), 2),
        "p95": round(percentile(list(samples), 95), 2),
        "p99": round(percentile(list(samples), 99), 2),
        "max": round(max(samples), 2),
    }


@dataclass(frozen=True)
class GoalResult:
    """One of the issue's goals against what was measured.

    ``factor`` is how far from the goal: measured / limit for a ceiling, limit /
    measured for a floor, so a factor above 1 is a miss by that many times.
    """

    goal: str
    limit: str
    measured: str
    met: bool
    factor: float
    note: str = ""


def ceiling_goal(goal: str, limit: float, measured: float, unit: str, note: str = "") -> GoalResult:
    """A goal met when ``measured`` ≤ ``limit`` (latency, memory)."""
    factor = measured / limit if limit else 0.0
    return GoalResult(
        goal, f"≤ {limit:g} {unit}", f"{measured:,.1f} {unit}", measured <= limit, factor, note
    )


def goals_table(goals: Iterable[GoalResult], *, digits: int) -> Table:
    """The goals as a table: met or not, and by how many times a goal was missed."""
    table = Table(title="the issue's goals")
    for column in ("goal", "limit", "measured", "met", "miss x", "note"):
        table.add_column(column)
    for goal in goals:
        table.add_row(
            goal.goal,
            goal.limit,
            goal.measured,
            "[green]yes[/]" if goal.met else "[red]no[/]",
            "" if goal.met else f"{goal.factor:,.{digits}f}x",
            goal.note,
        )
    return table


def floor_goal(goal: str, limit: float, measured: float, unit: str, note: str = "") -> GoalResult:
    """A goal met when ``measured`` ≥ ``limit`` (throughput, ratios to a baseline)."""
    factor = limit / measured if measured else float("inf")
    return GoalResult(
        goal, f"≥ {limit:g}{unit}", f"{measured:.3g}{unit}", measured >= limit, factor, note
    )


def compare_goals(report: Mapping[str, Any]) -> list[GoalResult]:
    """The issue's goals against ``report`` (see the module constants)."""
    results: list[GoalResult] = []
    runs: list[Mapping[str, Any]] = report["runs"]
    learners = int(report["meta"]["learners"])
    if runs:
        top = max(runs, key=lambda r: (r["level"], r["replicas"]))
        p99 = float(top["points_visible_ms"]["p99"])
        at_load = top["level"] >= GOAL_LOAD_PER_S
        note = f"at {top['level']}/s offered ({top['replicas']} gamification replica(s))" + (
            "" if at_load else f"; the goal's {GOAL_LOAD_PER_S}/s was not offered"
        )
        name = "completion → points visible p99"
        if not top["points_visible_ms"]["n"]:
            limit = f"≤ {POINTS_VISIBLE_P99_MS:g} ms"
            lost = f"no probe saw its points within the wait; {note}"
            results.append(GoalResult(name, limit, "none seen", False, float("inf"), lost))
        else:
            result = ceiling_goal(name, POINTS_VISIBLE_P99_MS, p99, "ms", note)
            # A latency met at a lower load than the goal's does not meet the goal.
            results.append(result if at_load else GoalResult(**{**asdict(result), "met": False}))
        name = "completion → inbox p99"
        if not top["inbox_ms"]["n"]:
            lost = f"no probe saw its notification within the wait; {note}"
            results.append(
                GoalResult(name, f"≤ {INBOX_P99_MS:g} ms", "none seen", False, float("inf"), lost)
            )
        else:
            result = ceiling_goal(name, INBOX_P99_MS, float(top["inbox_ms"]["p99"]), "ms", note)
            results.append(result if at_load else GoalResult(**{**asdict(result), "met": False}))
    raw = float(report["baselines"]["raw_consume_per_s"])
    best: dict[str, float] = {}
    for burst in report["capacity"]:
        for service, rate in burst["per_s"].items():
            best[service] = max(best.get(service, 0.0), float(rate))
    for service, rate in sorted(best.items()):
        results.append(
            floor_goal(
                f"{service} consumer throughput vs raw consume",
                CONSUMER_VS_RAW,
                rate / raw if raw else 0.0,
                "x",
                f"{rate:,.1f}/s beside raw aiokafka {raw:,.0f}/s",
            )
        )
    results += _reads_vs_echo(runs)
    for call in ("leaderboard_top10", "leaderboard_around_me"):
        worst = max((float(r["reads_ms"].get(call, {}).get("p99", 0.0)) for r in runs), default=0)
        at_size = learners >= LEADERBOARD_LEARNERS
        note = "worst level" + ("" if at_size else f"; only {learners:,} learners on the board")
        result = ceiling_goal(
            f"{call.replace('_', ' ')} p99", LEADERBOARD_P99_MS, worst, "ms", note
        )
        results.append(result if at_size else GoalResult(**{**asdict(result), "met": False}))
    rss: dict[str, float] = {}
    for run in runs:
        for service, mb in run["rss_mb_max"].items():
            rss[service] = max(rss.get(service, 0.0), float(mb))
    for service, mb in sorted(rss.items()):
        if service in ("kafka", "postgres"):
            continue  # the goal is about the services; infrastructure is shown, not judged
        results.append(ceiling_goal(f"{service} RSS under load", RSS_LIMIT_MB, mb, "MB"))
    return results


def _reads_vs_echo(runs: Sequence[Mapping[str, Any]]) -> list[GoalResult]:
    """gRPC reads/s (closed loop, the read mix) under the highest level's load beside the
    bare echo server's requests/s with the same callers, measured during that level."""
    measured = [r for r in runs if r.get("reads_vs_echo")]
    if not measured:
        return []
    top = max(measured, key=lambda r: (r["level"], r["replicas"]))
    both = top["reads_vs_echo"]
    reads, echo = both["platform_reads"], both["bare_echo"]
    at_load = top["level"] >= GOAL_LOAD_PER_S
    note = (
        f"{reads['per_s']:,.0f} reads/s beside echo {echo['per_s']:,.0f}/s, "
        f"{reads['concurrency']} callers, at {top['level']}/s offered"
        + ("" if at_load else f"; the goal's {GOAL_LOAD_PER_S}/s was not offered")
    )
    result = floor_goal("gRPC reads vs bare grpc.aio echo", READS_VS_ECHO, both["ratio"], "x", note)
    return [result if at_load else GoalResult(**{**asdict(result), "met": False})]


def write_json(report: Mapping[str, Any], path: Path) -> None:
    """``report`` with its goal comparison, as indented JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {**report, "goals": [asdict(g) for g in compare_goals(report)]}
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
