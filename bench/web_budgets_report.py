"""The PNG of ``bench/reports/web_budgets.json``: each budget beside its measure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def write_png(report: dict[str, Any], path: Path) -> None:
    budgets = report["budgets"]
    js, lcp, lighthouse = report["initial_javascript"], report["lcp"], report["lighthouse"]
    figure, (size, paint, scores) = plt.subplots(1, 3, figsize=(14, 4.5))

    size.bar(["initial JS"], [js["gzip_kb"]], color="tab:blue")
    size.axhline(budgets["initial_js_gzip_kb"], color="tab:red", linestyle="--", label="budget")
    size.annotate(f"{js['gzip_kb']:.1f} kB", (0, js["gzip_kb"]), ha="center", va="bottom")
    size.set_ylabel("kB gzipped")
    size.set_title(f"initial JavaScript ({js['raw_kb']:.0f} kB raw)", fontsize=9)
    size.legend(fontsize=8)

    labels = ["sign-in screen\n(baseline)", "home, signed in"]
    values = [lcp["baseline_sign_in_ms"], lcp["home_ms"] or 0.0]  # smoke: no home
    paint.bar(labels, values, color=["tab:gray", "tab:green"])
    for x, value in enumerate(values):
        paint.annotate(f"{value:.0f} ms", (x, value), ha="center", va="bottom")
    paint.axhline(budgets["home_lcp_ms"], color="tab:red", linestyle="--", label="budget")
    paint.set_ylabel("largest contentful paint, ms (median)")
    ratio = lcp["ratio_to_baseline"]
    paint.set_title(
        f"LCP, {lcp['loads']} loads" + (f", x{ratio:.2f} the baseline" if ratio else ""),
        fontsize=9,
    )
    paint.legend(fontsize=8)

    bars = [(form, step) for form, steps in lighthouse.items() for step in steps]
    width = 0.38
    for offset, (category, colour) in enumerate(
        (("performance", "tab:orange"), ("accessibility", "tab:purple"))
    ):
        xs = [i + (offset - 0.5) * width for i in range(len(bars))]
        heights = [lighthouse[form][step][category] for form, step in bars]
        scores.bar(xs, heights, width, label=category, color=colour)
        for position, height in zip(xs, heights, strict=True):
            scores.annotate(str(height), (position, height), ha="center", va="bottom", fontsize=8)
    scores.axhline(budgets["lighthouse_performance"], color="tab:red", linestyle="--")
    scores.set_xticks(range(len(bars)), [f"{form}\n{step}" for form, step in bars], fontsize=8)
    scores.set_ylim(0, 105)
    version = next(iter(next(iter(lighthouse.values())).values()))["lighthouse"]
    scores.set_title(
        f"Lighthouse {version}: mobile (simulated slow 4G, 4x CPU), desktop (10 Mbit/s, 1x)",
        fontsize=9,
    )
    scores.legend(fontsize=8, loc="lower right")
    figure.suptitle(
        f"web app budgets; {report['date']}, load average {report['load_average_1m']:.1f}",
        fontsize=10,
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
