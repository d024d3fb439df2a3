"""The inbox benchmark's report: the issue's goal against the figures, a table,
``notifications_inbox.json`` and the ``notifications_inbox.png`` chart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

GOAL_MS = 20.0
SHAPES = ("first_page", "keyset_page", "unread_page", "unread_count")
BASELINE = "primary_key_baseline"


def goals(report: Mapping[str, Any]) -> list[tuple[str, str, bool]]:
    """(goal, measured, met): issue 18's p99 ceiling for each inbox read, with its ratio
    to the same run's primary-key lookup."""
    latency = report["latency_ms"]
    base = latency[BASELINE]["p99"] or 1.0
    rows = []
    for shape in SHAPES:
        p99 = latency[shape]["p99"]
        rows.append(
            (
                f"{shape.replace('_', ' ')} p99 <= {GOAL_MS:.0f} ms",
                f"{p99:.2f} ms ({p99 / base:.1f}x the primary-key lookup)",
                p99 <= GOAL_MS,
            )
        )
    return rows


def print_table(report: Mapping[str, Any], console: Console) -> None:
    meta = report["meta"]
    table = Table(
        title=f"notifications inbox on PostgreSQL ({meta['mode']}: one person's "
        f"{meta['person_notifications']:,} among {meta['notifications']:,}; "
        f"load {meta['load_average']})"
    )
    for column in ("read", "p50 ms", "p99 ms", "max ms"):
        table.add_column(column)
    for shape in (*SHAPES, BASELINE):
        figures = report["latency_ms"][shape]
        table.add_row(
            shape, f"{figures['p50']:.2f}", f"{figures['p99']:.2f}", f"{figures['max']:.2f}"
        )
    console.print(table)
    for goal, measured, met in goals(report):
        console.print(f"{'met' if met else 'NOT MET'}: {goal}: {measured}")


def write_json(report: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    figures = {
        **report,
        "goals": [{"goal": g, "measured": m, "met": ok} for g, m, ok in goals(report)],
    }
    path.write_text(json.dumps(figures, indent=2) + "\n")


def write_chart(report: Mapping[str, Any], path: Path) -> None:
    """p50 and p99 of each read beside the primary-key baseline, the goal as a line."""
    import matplotlib  # only the chart needs it (a dev dependency)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    meta = report["meta"]
    names = [*SHAPES, BASELINE]
    latency = report["latency_ms"]
    figure, axis = plt.subplots(figsize=(10, 5.5))
    figure.suptitle(
        f"notifications inbox on PostgreSQL · {meta['mode']} · one person's "
        f"{meta['person_notifications']:,} of {meta['notifications']:,} · "
        f"{meta['started']} · load {meta['load_average'][0]}",
        fontsize=11,
    )
    positions = range(len(names))
    axis.bar([p - 0.2 for p in positions], [latency[n]["p50"] for n in names], 0.4, label="p50")
    axis.bar([p + 0.2 for p in positions], [latency[n]["p99"] for n in names], 0.4, label="p99")
    axis.axhline(GOAL_MS, color="red", linestyle="--", label=f"goal p99 {GOAL_MS:.0f} ms")
    axis.set_xticks(list(positions), [n.replace("_", "\n") for n in names])
    axis.set_ylabel("ms per call (unit of work + query)")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
