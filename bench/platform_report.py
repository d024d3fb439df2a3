"""The pure half of ``bench/platform_e2e.py``: latency summaries, the issue's goals,
the rich tables, ``platform.json`` and the ``platform.png`` chart.

No I/O but the report files, so ``tests/bench_unit`` checks it from a fixture report
without starting anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
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


def _ms(stats: Mapping[str, float]) -> str:
    if not stats or not stats.get("n"):
        return "-"
    return f"{stats['p50']:,.0f} / {stats['p95']:,.0f} / {stats['p99']:,.0f}"


def tables(report: Mapping[str, Any]) -> list[Table]:
    """The tables printed at the end (one per concern)."""
    out: list[Table] = []
    base = report["baselines"]
    runs: list[Mapping[str, Any]] = report["runs"]
    services = sorted({s for r in runs for s in r["consumed_per_s"]})

    levels = Table(title="per load level (gamification replicas x offered calls/s)")
    for column in ("replicas", "level /s", "calls /s", "errors", *services):
        levels.add_column(column, justify="right")
    for run in runs:
        levels.add_row(
            str(run["replicas"]),
            str(run["level"]),
            f"{run['achieved_per_s']:.1f}",
            str(sum(run["errors"].values())),
            *(f"{run['consumed_per_s'].get(s, 0):.1f}" for s in services),
        )
    levels.caption = "service columns: events consumed /s (agora_events_consumed_total)"
    out.append(levels)

    latency = Table(title="end-to-end latency, ms (p50 / p95 / p99)")
    for column in ("replicas", "level /s", "completion → points", "→ inbox", "probes lost"):
        latency.add_column(column, justify="right")
    for run in runs:
        latency.add_row(
            str(run["replicas"]),
            str(run["level"]),
            _ms(run["points_visible_ms"]),
            _ms(run["inbox_ms"]),
            f"{run['probes_missing']}/{run['probes']}",
        )
    out.append(latency)

    calls = sorted({c for r in runs for c in r["reads_ms"]})
    reads = Table(title="gRPC read latency, ms (p50 / p99) and p99 ÷ raw primary-key read p99")
    reads.add_column("call")
    for run in runs:
        reads.add_column(f"{run['replicas']}x, {run['level']}/s", justify="right")
    raw_p99 = float(base["raw_id_read_ms"]["p99"]) or 1.0
    for call in calls:
        cells = []
        for run in runs:
            stats = run["reads_ms"].get(call)
            cells.append(
                "-"
                if not stats or not stats["n"]
                else f"{stats['p50']:,.0f} / {stats['p99']:,.0f} ({stats['p99'] / raw_p99:,.0f}x)"
            )
        reads.add_row(call, *cells)
    out.append(reads)

    resources = Table(title="max consumer lag (messages) and max RSS (MB) per level")
    resources.add_column("replicas", justify="right")
    resources.add_column("level /s", justify="right")
    processes = sorted({s for r in runs for s in r["rss_mb_max"]})
    for name in services:
        resources.add_column(f"lag {name}", justify="right")
    for name in processes:
        resources.add_column(f"RSS {name}", justify="right")
    for run in runs:
        resources.add_row(
            str(run["replicas"]),
            str(run["level"]),
            *(f"{run['lag_max'].get(s, 0):,.0f}" for s in services),
            *(f"{run['rss_mb_max'].get(p, 0):,.0f}" for p in processes),
        )
    out.append(resources)

    raw_consume = float(base["raw_consume_per_s"]) or 1.0
    ratios = Table(title="same-run baselines (same broker, same PostgreSQL)")
    for column in ("measure", "service", "baseline", "ratio"):
        ratios.add_column(column, justify="right" if column != "measure" else "left")
    for burst in report["capacity"]:
        for service, rate in sorted(burst["per_s"].items()):
            ratios.add_row(
                f"{service} drains {burst['events']} completions ({burst['replicas']}x)",
                f"{rate:,.1f}/s",
                f"raw consume {raw_consume:,.0f}/s",
                f"{rate / raw_consume:.4f}x",
            )
    id_p50 = float(base["raw_id_read_ms"]["p50"]) or 1.0
    for run in runs[:1]:
        for call in calls:
            stats = run["reads_ms"][call]
            if stats["n"]:
                ratios.add_row(
                    f"{call} p50 (lowest level)",
                    f"{stats['p50']:,.1f} ms",
                    f"raw primary-key read {id_p50:,.2f} ms",
                    f"{stats['p50'] / id_p50:,.1f}x",
                )
    ratios.add_row(
        "raw aiokafka produce (pipelined)", "", f"{base['raw_produce_per_s']:,.0f}/s", ""
    )
    ratios.add_row("raw batched INSERT", "", f"{base['raw_insert_per_s']:,.0f} rows/s", "")
    out.append(ratios)

    out.append(goals_table(compare_goals(report), digits=1))
    return out


def print_tables(report: Mapping[str, Any], console: Console) -> None:
    for table in tables(report):
        console.print(table)


def write_json(report: Mapping[str, Any], path: Path) -> None:
    """``report`` with its goal comparison, as indented JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {**report, "goals": [asdict(g) for g in compare_goals(report)]}
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _phase_spans(series: Mapping[str, Any]) -> Iterable[tuple[str, float, float]]:
    """(phase, first t, last t) of consecutive samples with the same phase."""
    times: list[float] = series["t"]
    phases: list[str] = series["phase"]
    start = 0
    for i in range(1, len(times) + 1):
        if i == len(times) or phases[i] != phases[start]:
            yield phases[start], times[start], times[i - 1]
            start = i


def write_chart(report: Mapping[str, Any], path: Path) -> None:
    """Four panels: latency per level, throughput per level, lag over time, RSS over time."""
    import matplotlib  # only the chart needs it (a dev dependency)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs: list[Mapping[str, Any]] = report["runs"]
    series = report["series"]
    figure, axes = plt.subplots(2, 2, figsize=(15, 10))
    figure.suptitle(
        f"Agora end to end · {report['meta']['learners']:,} learners, "
        f"{report['meta']['items']:,} items · {report['meta'].get('started', '')}",
        fontsize=13,
    )
    labels = [f"{r['level']}/s\n{r['replicas']} repl." for r in runs]
    positions = list(range(len(runs)))

    latency = axes[0][0]
    for key, name, style in (
        ("points_visible_ms", "completion → points", "o-"),
        ("inbox_ms", "completion → inbox", "s-"),
    ):
        for pct, alpha in (("p50", 0.5), ("p99", 1.0)):
            latency.plot(
                positions,
                [r[key][pct] if r[key]["n"] else float("nan") for r in runs],
                style,
                alpha=alpha,
                label=f"{name} {pct}",
            )
    for call in ("leaderboard_top10", "profile"):
        latency.plot(
            positions,
            [r["reads_ms"].get(call, {}).get("p99") or float("nan") for r in runs],
            "^--",
            label=f"{call} p99",
        )
    latency.axhline(POINTS_VISIBLE_P99_MS, color="red", linestyle=":", label="points goal 200 ms")
    latency.axhline(
        LEADERBOARD_P99_MS,
        color="purple",
        linestyle=":",
        label=f"board goal {LEADERBOARD_P99_MS:g} ms",
    )
    latency.set_yscale("log")
    latency.set_title("latency per load level (ms, log scale)")
    latency.set_xticks(positions, labels)
    latency.legend(fontsize=8)
    latency.grid(True, alpha=0.3)

    throughput = axes[0][1]
    services = sorted({s for r in runs for s in r["consumed_per_s"]})
    width = 0.8 / max(1, len(services) + 1)
    throughput.bar(
        [p - 0.4 + width / 2 for p in positions],
        [r["achieved_per_s"] for r in runs],
        width,
        label="gRPC calls made",
        color="grey",
    )
    for n, service in enumerate(services):
        throughput.bar(
            [p - 0.4 + width * (n + 1.5) for p in positions],
            [r["consumed_per_s"].get(service, 0) for r in runs],
            width,
            label=f"{service} consumed",
        )
    throughput.set_title("throughput per level (per second)")
    throughput.set_xticks(positions, labels)
    throughput.legend(fontsize=8)
    throughput.grid(True, axis="y", alpha=0.3)

    for axis, key, title in (
        (axes[1][0], "lag", "consumer lag over time (messages)"),
        (axes[1][1], "rss_mb", "RSS over time (MB)"),
    ):
        for name, values in sorted(series[key].items()):
            axis.plot(series["t"], values, label=name, linewidth=1.2)
        for phase, start, end in _phase_spans(series):
            if "/s" not in phase:
                continue  # settling, bursts and start-ups stay unshaded and unlabelled
            axis.axvspan(start, end, color="grey", alpha=0.12)
            axis.text(start, 0.98, phase, transform=axis.get_xaxis_transform(), fontsize=7,
                      rotation=90, va="top")  # fmt: skip
        if key == "rss_mb":
            axis.axhline(RSS_LIMIT_MB, color="red", linestyle=":", label="goal 300 MB")
        axis.set_title(title)
        axis.set_xlabel("seconds since the load began (shaded: load levels, label replicas x rate)")
        axis.legend(fontsize=8)
        axis.grid(True, alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
