"""The PNG of ``bench/reports/catalog_ranking.json``: p50/p99 per word, capped vs rank all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def write_png(report: dict[str, Any], path: Path) -> None:
    words = list(report["words"])
    figure, axes = plt.subplots(figsize=(9, 4.5))
    width = 0.2
    for offset, (mode, stat, colour) in enumerate(
        (
            ("capped", "p50_ms", "tab:green"),
            ("capped", "p99_ms", "tab:olive"),
            ("rank_all", "p50_ms", "tab:blue"),
            ("rank_all", "p99_ms", "tab:red"),
        )
    ):
        values = [report["words"][word][mode][stat] for word in words]
        positions = [index + (offset - 1.5) * width for index in range(len(words))]
        axes.bar(positions, values, width, color=colour, label=f"{mode} {stat[:3]}")
    axes.set_xticks(
        range(len(words)),
        [f"{word}\n{report['words'][word]['matches']:,} matches" for word in words],
    )
    axes.set_yscale("log")
    axes.set_ylabel("ms (log scale)")
    axes.set_title(
        f"first search page at {report['items']:,} items, "
        f"{report['rank_candidates']:,} candidates ranked vs every match; "
        f"{report['date']}, load {report['load_average_1m']:.1f}",
        fontsize=9,
    )
    axes.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
