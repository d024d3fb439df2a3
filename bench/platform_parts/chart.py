"""The ``platform.png`` chart of ``bench/platform_e2e.py``: latency, throughput, lag, RSS
and the closed-loop reads beside the bare echo server."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bench.platform_report import LEADERBOARD_P99_MS, POINTS_VISIBLE_P99_MS, RSS_LIMIT_MB


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
    """Five panels: latency per level, throughput per level, closed-loop reads beside the
    bare echo per level, lag over time, RSS over time."""
    import matplotlib  # only the chart needs it (a dev dependency)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs: list[Mapping[str, Any]] = report["runs"]
    series = report["series"]
    figure, axes = plt.subplots(2, 3, figsize=(21, 10))
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

    _reads_panel(axes[0][2], runs, positions, labels)
    axes[1][2].axis("off")
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
        finish(
            axis, title, "seconds since the load began (shaded: load levels, label replicas x rate)"
        )
    save(figure, path)


def finish(axis: Any, title: str, xlabel: str) -> None:
    """Title, x label, legend and grid of one panel."""
    axis.set_title(title)
    axis.set_xlabel(xlabel)
    axis.legend(fontsize=8)
    axis.grid(True, alpha=0.3)


def save(figure: Any, path: Path) -> None:
    """Lay ``figure`` out, write it as a PNG at ``path`` and free it."""
    import matplotlib.pyplot as plt

    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _reads_panel(
    axis: Any, runs: list[Mapping[str, Any]], positions: list[int], labels: list[str]
) -> None:
    """Closed-loop requests/s per level: the platform's read mix beside the bare echo
    server (same callers, same run), and their ratio against the 0.5x goal."""
    width = 0.38
    reads = [r.get("reads_vs_echo") or {} for r in runs]
    axis.bar(
        [p - width / 2 for p in positions],
        [m.get("platform_reads", {}).get("per_s", 0) for m in reads],
        width,
        label="platform reads/s (read mix)",
    )
    axis.bar(
        [p + width / 2 for p in positions],
        [m.get("bare_echo", {}).get("per_s", 0) for m in reads],
        width,
        label="bare grpc.aio echo req/s",
        color="grey",
    )
    for p, m in zip(positions, reads, strict=True):
        if m:
            axis.text(p, m["platform_reads"]["per_s"], f"{m['ratio']:.2f}x", ha="center",
                      va="bottom", fontsize=8)  # fmt: skip
    axis.set_yscale("log")
    axis.set_title("closed-loop requests/s, same callers (label: reads ÷ echo; goal ≥ 0.5x)")
    axis.set_xticks(positions, labels)
    axis.legend(fontsize=8)
    axis.grid(True, axis="y", alpha=0.3)
