"""The rich tables ``bench/platform_e2e.py`` prints at the end: per level, latency, reads,
resources, the same-run baselines and the issue's goals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.platform_report import compare_goals, goals_table


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
    for run in runs:
        if run.get("reads_vs_echo"):
            both = run["reads_vs_echo"]
            ratios.add_row(
                f"gRPC reads, closed loop ({run['replicas']}x, {run['level']}/s)",
                f"{both['platform_reads']['per_s']:,.0f}/s",
                f"bare echo {both['bare_echo']['per_s']:,.0f}/s",
                f"{both['ratio']:.3f}x",
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
