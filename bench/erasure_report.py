"""The erasure benchmark's report: a table, ``erasure.json``, ``erasure.md`` and the
``erasure.png`` chart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


def title(results: Mapping[str, Any]) -> str:
    meta = results["meta"]
    return (
        f"right to erasure on PostgreSQL ({meta['mode']}): {meta['person_rows_per_kind']:,} "
        f"of each kind of the person's rows among {results['rows']:,} "
        f"(load {meta['load_average_start'][0]})"
    )


def slowest(seconds: Mapping[str, float], count: int = 3) -> str:
    ranked = sorted(seconds.items(), key=lambda item: item[1], reverse=True)[:count]
    return ", ".join(f"{name} {value:.3f}" for name, value in ranked)


def rows(results: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """(measure, agora, raw baseline, ratio) for the table and the Markdown report."""
    guard = results["guard"]
    event, batch = guard["guard_per_event_ms"], guard["set_guard_per_batch_ms"]
    raw = guard["raw_pk_select_ms"]
    size = guard["set_batch"]
    return [
        (
            "erase one person (s)",
            f"{results['service_seconds']:.3f}",
            f"{results['raw_seconds']:.3f}",
            f"{results['service_vs_raw']:.2f}x",
        ),
        ("  its slowest steps (s)", slowest(results["seconds_per_step"]), "", ""),
        ("erase again: nothing left (s)", f"{results['service_rerun_seconds']:.3f}", "", ""),
        ("  its slowest steps (s)", slowest(results["rerun_seconds_per_step"]), "", ""),
        (
            "guard per consumed event p50 / p99 (ms)",
            f"{event['p50']:.3f} / {event['p99']:.3f}",
            f"{raw['p50']:.3f} / {raw['p99']:.3f}",
            f"{guard['guard_vs_raw_p50']:.2f}x",
        ),
        (
            f"set handlers' guard per batch of {size} p50 / p99 (ms)",
            f"{batch['p50']:.3f} / {batch['p99']:.3f}",
            f"{raw['p50']:.3f} / {raw['p99']:.3f} (one select)",
            f"{guard['set_guard_per_event_vs_raw_p50']:.2f}x per event",
        ),
    ]


def print_table(results: Mapping[str, Any], console: Console) -> None:
    table = Table(title=title(results))
    for column in ("measure", "agora", "raw baseline (same run)", "ratio"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for row in rows(results):
        table.add_row(*row)
    console.print(table)


def write_reports(results: Mapping[str, Any], directory: Path, stem: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [f"# {title(results)}", "", "| measure | agora | raw baseline | ratio |"]
    lines += ["|---|---:|---:|---:|", *(f"| {' | '.join(row)} |" for row in rows(results))]
    (directory / f"{stem}.md").write_text("\n".join(lines) + "\n")
    write_chart(results, directory / f"{stem}.png")


def write_chart(results: Mapping[str, Any], path: Path) -> None:
    """Two panels: the erasure beside raw SQL, the guard beside a primary-key read."""
    import matplotlib  # only the chart needs it (a dev dependency)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    meta, guard = results["meta"], results["guard"]
    figure, (erase, reads) = plt.subplots(1, 2, figsize=(13, 5.5))
    figure.suptitle(f"{title(results)} · {meta['started']}", fontsize=11)
    labels = ["community's eraser", "raw SQL", "eraser again\n(nothing left)"]
    seconds = [
        results["service_seconds"],
        results["raw_seconds"],
        results["service_rerun_seconds"],
    ]
    drawn = erase.bar(labels, seconds, color=["tab:blue", "grey", "tab:cyan"])
    erase.bar_label(drawn, labels=[f"{s:.3f} s" for s in seconds], fontsize=9)
    erase.set_title(f"erase one person, seconds ({results['service_vs_raw']:.2f}x raw)")

    size = guard["set_batch"]
    parts = [
        ("guard\nper event", guard["guard_per_event_ms"], "tab:blue"),
        (f"set guard\nper batch of {size}", guard["set_guard_per_batch_ms"], "tab:green"),
        ("raw primary-key\nSELECT", guard["raw_pk_select_ms"], "grey"),
    ]
    x = range(len(parts))
    colors = [color for _, _, color in parts]
    reads.bar([i - 0.2 for i in x], [p["p50"] for _, p, _ in parts], 0.4, color=colors, alpha=0.5)
    drawn = reads.bar([i + 0.2 for i in x], [p["p99"] for _, p, _ in parts], 0.4, color=colors)
    reads.bar_label(drawn, labels=[f"p99 {p['p99']:.2f}" for _, p, _ in parts], fontsize=8)
    reads.set_xticks(list(x), [label for label, _, _ in parts], fontsize=9)
    reads.set_title("guard latency ms (light: p50, dark: p99)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
