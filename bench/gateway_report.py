"""The PNG of ``bench/reports/gateway.json``: calls/s and p50/p99 per transport."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def write_png(report: dict[str, Any], path: Path) -> None:
    names = list(report["transports"])
    rows = [report["transports"][name] for name in names]
    labels = [name.replace(", ", ",\n") for name in names]
    figure, (rate, latency) = plt.subplots(1, 2, figsize=(12, 4.5))
    bars = rate.bar(labels, [row["calls_per_s"] for row in rows], color="tab:blue")
    for bar, row in zip(bars, rows, strict=True):
        rate.annotate(
            f"{row['calls_per_s']:,.0f}/s\n{row['ratio_to_grpc']:.2f}x gRPC",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    rate.axhline(
        rows[0]["calls_per_s"] * 0.5, color="tab:red", linestyle="--", label="goal: 0.5x gRPC"
    )
    rate.set_ylabel("calls/s")
    rate.set_title(f"{report['read']}\n{report['clients']} concurrent callers", fontsize=9)
    rate.legend(fontsize=8)
    latency.bar(labels, [row["p50_ms"] for row in rows], color="tab:green", label="p50")
    latency.bar(
        labels,
        [row["p99_ms"] - row["p50_ms"] for row in rows],
        bottom=[row["p50_ms"] for row in rows],
        color="tab:orange",
        label="p99",
    )
    latency.set_ylabel("ms")
    latency.set_title(
        f"latency; {report['date']}, load average {report['load_average_1m']:.1f}", fontsize=9
    )
    latency.legend(fontsize=8)
    for axes in (rate, latency):
        axes.tick_params(axis="x", labelsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
