"""The community benchmark's report: the issue's goals against the figures, a table,
``community.json`` and the ``community.png`` chart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


def goals(report: Mapping[str, Any]) -> list[tuple[str, str, bool]]:
    """(goal, measured, met) for each of issue 16's targets."""
    thread, trend = report["thread_page"], report["trending_top20"]
    likes, consumers = report["like_unlike"], report["consumers"]
    thread_p99, raw_p99 = thread["grpc_ms"]["p99"], thread["raw_sql_ms"]["p99"]
    like_rate, like_p99 = likes["grpc"]["ops_per_s"], likes["grpc"]["latency_ms"]["p99"]
    two = likes["grpc_two_processes"]
    two_rate, two_p99 = two["ops_per_s"], two["latency_ms"]["p99"]
    consumer_ratio = consumers["service_per_s"] / consumers["raw_consume_per_s"]
    floor = consumers.get("storage_floor_per_s")
    floor_ratio = f" (storage floor {floor / consumers['raw_consume_per_s']:.3f}x)" if floor else ""
    return [
        ("thread page p99 <= 20 ms over gRPC", f"{thread_p99:.1f} ms", thread_p99 <= 20),
        (
            "thread page p99 <= 2x raw SQL",
            f"{thread_p99 / raw_p99:.1f}x ({raw_p99:.1f} ms raw)",
            thread_p99 <= 2 * raw_p99,
        ),
        ("like/unlike >= 1,000 ops/s, 1 process", f"{like_rate:,.0f}/s", like_rate >= 1000),
        ("like/unlike p99 <= 50 ms, 1 process", f"{like_p99:.1f} ms", like_p99 <= 50),
        ("like/unlike >= 1,000 ops/s, 2 processes", f"{two_rate:,.0f}/s", two_rate >= 1000),
        ("like/unlike p99 <= 50 ms, 2 processes", f"{two_p99:.1f} ms", two_p99 <= 50),
        (
            "trending top-20 p99 <= 20 ms",
            f"{trend['grpc_ms']['p99']:.1f} ms",
            trend["grpc_ms"]["p99"] <= 20,
        ),
        (
            "consumers >= 0.3x raw aiokafka",
            f"{consumer_ratio:.3f}x{floor_ratio}",
            consumer_ratio >= 0.3,
        ),
    ]


def print_table(report: Mapping[str, Any], console: Console) -> None:
    meta = report["meta"]
    table = Table(
        title=f"community on PostgreSQL ({meta['mode']}: {meta['comments']:,} comments, "
        f"largest thread {meta['largest_thread']:,}; load {meta['load_average']})"
    )
    for column in ("goal", "measured", "met"):
        table.add_column(column)
    for goal, measured, met in goals(report):
        table.add_row(goal, measured, "yes" if met else "NO")
    console.print(table)


def write_json(report: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    figures = {
        **report,
        "goals": [{"goal": g, "measured": m, "met": ok} for g, m, ok in goals(report)],
    }
    path.write_text(json.dumps(figures, indent=2) + "\n")


def write_chart(report: Mapping[str, Any], path: Path) -> None:
    """Three panels: latencies beside raw SQL, like/unlike rate, consumer rate."""
    import matplotlib  # only the chart needs it (a dev dependency)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    meta = report["meta"]
    figure, axes = plt.subplots(1, 3, figsize=(16, 5.5))
    figure.suptitle(
        f"community on PostgreSQL · {meta['mode']} · {meta['comments']:,} comments in "
        f"{meta['spaces']:,} spaces · {meta['started']} · load {meta['load_average'][0]}",
        fontsize=12,
    )
    reads = axes[0]
    labels = ["thread page\ngRPC", "thread page\nraw SQL", "trending\ngRPC", "trending\nraw SQL"]
    parts = [
        report["thread_page"]["grpc_ms"],
        report["thread_page"]["raw_sql_ms"],
        report["trending_top20"]["grpc_ms"],
        report["trending_top20"]["raw_sql_ms"],
    ]
    colors = ["tab:blue", "grey", "tab:green", "grey"]
    x = range(len(labels))
    reads.bar([i - 0.2 for i in x], [p["p50"] for p in parts], width=0.4, color=colors, alpha=0.5)
    drawn = reads.bar([i + 0.2 for i in x], [p["p99"] for p in parts], width=0.4, color=colors)
    reads.bar_label(drawn, labels=[f"p99 {p['p99']:.1f}" for p in parts], fontsize=8)
    reads.set_xticks(list(x), labels, fontsize=8)
    reads.axhline(20, color="red", linestyle=":", label="goal: p99 20 ms")
    reads.set_title("latency ms (light: p50, dark: p99)", fontsize=10)
    reads.legend(fontsize=8)

    likes = axes[1]
    series = [report["like_unlike"][k] for k in ("grpc", "grpc_two_processes", "raw_sql")]
    drawn = likes.bar(
        ["gRPC\n1 process", "gRPC\n2 processes", "raw SQL\nstatement"],
        [s["ops_per_s"] for s in series],
        color=["tab:blue", "navy", "grey"],
    )
    likes.bar_label(
        drawn,
        labels=[f"{s['ops_per_s']:,.0f}/s\np99 {s['latency_ms']['p99']:.0f} ms" for s in series],
        fontsize=8,
    )
    likes.axhline(1000, color="red", linestyle=":", label="goal: 1,000 ops/s, p99 50 ms")
    likes.set_title(f"like/unlike ops/s, {meta['concurrency']} in flight", fontsize=10)
    likes.legend(fontsize=8)

    consumers = axes[2]
    c = report["consumers"]
    floor = c.get("storage_floor_per_s")
    rates = [c["service_per_s"], c["raw_consume_per_s"]] + ([floor] if floor else [])
    drawn = consumers.bar(
        ["community\nconsumer", "raw aiokafka\nconsume"]
        + (["storage floor\n(no Kafka)"] if floor else []),
        rates,
        color=["tab:blue", "grey"] + (["tab:orange"] if floor else []),
    )
    consumers.bar_label(drawn, labels=[f"{r:,.0f}/s" for r in rates], fontsize=9)
    consumers.axhline(
        0.3 * c["raw_consume_per_s"], color="red", linestyle=":", label="goal: 0.3x raw"
    )
    consumers.set_yscale("log")
    consumers.set_title(f"like events handled/s ({c['events']:,} events, log)", fontsize=10)
    consumers.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
