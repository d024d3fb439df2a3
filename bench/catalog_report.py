"""The pure half of ``bench/catalog.py``: latency summaries, the issue's goals, the
tables, ``catalog.json`` and the ``catalog.png`` chart (no I/O but the report files)."""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.platform_report import GoalResult, ceiling_goal, floor_goal, goals_table

SEARCH_P99_MS = 50.0
SEARCH_P99_MOONSHOT_MS = 20.0
SEARCH_VS_RAW = 2.0
COMPLETIONS_VS_RAW = 0.3
TEAM_P99_MS = 50.0


def latency(samples: Sequence[float]) -> dict[str, float]:
    """Count, p50, p99 and max of millisecond samples."""
    if not samples:
        return {"count": 0, "p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    ordered = sorted(samples)

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 2)

    return {"count": len(ordered), "p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": at(1.0)}


def goals(report: Mapping[str, Any]) -> list[GoalResult]:
    search, team = report["search"], report["team"]
    grpc_p99 = float(search["all"]["p99_ms"])
    text, raw = float(search["text_grpc"]["p99_ms"]), float(search["text_raw_sql"]["p99_ms"])
    completions = report["completions"]
    handled = float(completions["handled_per_s"])
    consume = float(completions["raw_consume_per_s"])
    floor = float(completions.get("storage_floor", {}).get("events_per_s", 0.0))
    floor_note = (
        f"storage floor {floor / consume:.3g}x raw; the consumer reaches {handled / floor:.2f}"
        " of it"
        if floor and consume
        else ""
    )
    return [
        ceiling_goal("search p99 over gRPC (every query)", SEARCH_P99_MS, grpc_p99, "ms"),
        ceiling_goal("search p99, moonshot", SEARCH_P99_MOONSHOT_MS, grpc_p99, "ms"),
        ceiling_goal(
            "text search p99 vs raw SQL FTS p99", SEARCH_VS_RAW, text / raw if raw else 0.0, "x"
        ),
        floor_goal(
            "completions handled vs raw consume",
            COMPLETIONS_VS_RAW,
            handled / consume if consume else 0.0,
            "x",
            floor_note,
        ),
        ceiling_goal(
            "team path progress p99 (page of 100)",
            TEAM_P99_MS,
            float(team["team_progress_page"]["p99_ms"]),
            "ms",
        ),
        ceiling_goal(
            "skills report p99", TEAM_P99_MS, float(team["skills_report"]["p99_ms"]), "ms"
        ),
    ]


def build_report(
    results: Mapping[str, Any],
    args: Mapping[str, Any],
    *,
    started: datetime,
    load: Sequence[float],
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "meta": {
            "started": started.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()} {platform.system()} {platform.release()}",
            "load_average_at_end": [round(x, 2) for x in load],
            **{k: v for k, v in args.items() if k != "quick"},
            "quick": bool(args.get("quick")),
        },
        **results,
    }
    report["goals"] = [asdict(g) for g in goals(report)]
    return report


def print_tables(report: Mapping[str, Any], console: Console) -> None:
    search = Table(title="search over gRPC (ms), while completions flow")
    for column in ("kind", "count", "p50", "p99", "max"):
        search.add_column(column)
    rows = {**report["search"]["by_kind"], "all": report["search"]["all"]}
    rows["text: raw SQL FTS, same words"] = report["search"]["text_raw_sql"]
    rows["text: gRPC"] = report["search"]["text_grpc"]
    if "warm_up" in report["search"]:
        rows["warm-up draw (untimed by the goal)"] = report["search"]["warm_up"]
    rows.update({k: v for k, v in report["team"].items() if k != "slowest_team_page"})
    for kind, value in rows.items():
        search.add_row(
            kind, str(value["count"]), f"{value['p50_ms']:.1f}", f"{value['p99_ms']:.1f}",
            f"{value['max_ms']:.1f}",
        )  # fmt: skip
    console.print(search)
    if "slowest_team_page" in report["team"]:
        console.print(f"slowest team page: {report['team']['slowest_team_page']}")
    console.print(goals_table(goals(report), digits=2))


def write_json(report: Mapping[str, Any], path: Path) -> None:
    path.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def write_chart(report: Mapping[str, Any], path: Path) -> None:
    """Three panels: search latency beside raw SQL, throughput beside raw consume, team."""
    import matplotlib  # only the chart needs it (a dev dependency)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    meta, search, team = report["meta"], report["search"], report["team"]
    figure, axes = plt.subplots(1, 3, figsize=(17, 6))
    figure.suptitle(
        f"catalog on PostgreSQL · {meta['items']:,} items, {meta['learners']:,} learners, "
        f"team {meta['team']:,} · {meta['started']} · load {meta['load_average_at_end'][0]}",
        fontsize=12,
    )

    def bars(axis: Any, labels: list[str], values: list[float], colors: list[str]) -> None:
        drawn = axis.bar(labels, values, color=colors)
        axis.bar_label(drawn, labels=[f"{v:,.1f}" for v in values], fontsize=9)
        axis.grid(True, axis="y", alpha=0.3)

    lat = axes[0]
    bars(
        lat,
        ["raw SQL FTS\np50", "raw SQL FTS\np99", "gRPC text\np50", "gRPC text\np99",
         "gRPC all\np99"],
        [
            float(search["text_raw_sql"]["p50_ms"]), float(search["text_raw_sql"]["p99_ms"]),
            float(search["text_grpc"]["p50_ms"]), float(search["text_grpc"]["p99_ms"]),
            float(search["all"]["p99_ms"]),
        ],
        ["grey", "grey", "tab:blue", "tab:blue", "tab:green"],
    )  # fmt: skip
    lat.axhline(SEARCH_P99_MS, color="red", linestyle=":", label="goal p99 50 ms")
    lat.legend(fontsize=8)
    lat.set_title(
        f"search latency, ms ({search['completions_per_s_during']}/s completions flowing)",
        fontsize=10,
    )
    flow = axes[1]
    completions = report["completions"]
    floor = completions.get("storage_floor", {}).get("events_per_s")
    bars(
        flow,
        ["raw aiokafka\nconsume", "catalog consumer\n(handled)"]
        + (["storage floor\n(no Kafka)"] if floor else []),
        [float(completions["raw_consume_per_s"]), float(completions["handled_per_s"])]
        + ([float(floor)] if floor else []),
        ["grey", "tab:blue"] + (["tab:orange"] if floor else []),
    )
    flow.axhline(
        COMPLETIONS_VS_RAW * float(completions["raw_consume_per_s"]),
        color="red", linestyle=":", label="goal 0.3x raw",
    )  # fmt: skip
    flow.set_yscale("log")
    flow.legend(fontsize=8)
    flow.set_title(f"knowledge.completed events/s ({completions['events']:,} events)", fontsize=10)
    people = axes[2]
    bars(
        people,
        ["team progress\npage p50", "team progress\npage p99", "skills report\np50",
         "skills report\np99"],
        [
            float(team["team_progress_page"]["p50_ms"]),
            float(team["team_progress_page"]["p99_ms"]),
            float(team["skills_report"]["p50_ms"]), float(team["skills_report"]["p99_ms"]),
        ],
        ["tab:cyan", "tab:cyan", "tab:purple", "tab:purple"],
    )  # fmt: skip
    people.axhline(TEAM_P99_MS, color="red", linestyle=":", label="goal p99 50 ms")
    people.legend(fontsize=8)
    people.set_title("manager views of a team, ms", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
