"""A chart of measured rates beside the baseline each is compared with, shared by the
benchmarks whose report is a handful of "ours vs raw" throughputs (notifications, xAPI)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pair:
    """One comparison: what we measured and its baseline from the same run."""

    label: str
    measured: float
    baseline_label: str
    baseline: float


def write_ratio_chart(path: Path, title: str, pairs: Sequence[Pair], unit: str) -> None:
    """One panel per pair (the two rates differ by orders of magnitude), each bar
    labelled with its value; the ratio in the panel's title."""
    import matplotlib  # only the chart needs it (a dev dependency)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(pairs), figsize=(5 * len(pairs), 4.5), squeeze=False)
    figure.suptitle(title)
    for axis, pair in zip(axes[0], pairs, strict=True):
        bars = axis.bar(
            [pair.label, pair.baseline_label],
            [pair.measured, pair.baseline],
            color=["tab:blue", "tab:gray"],
        )
        axis.bar_label(bars, labels=[f"{pair.measured:,.1f}", f"{pair.baseline:,.1f}"])
        ratio = pair.measured / pair.baseline if pair.baseline else float("nan")
        axis.set_title(f"{ratio:.3f}x the baseline")
        axis.set_ylabel(unit)
        axis.tick_params(axis="x", labelsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
