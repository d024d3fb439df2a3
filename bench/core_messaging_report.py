"""The pure half of ``bench/core_messaging.py``: ratios, the issue's goals, the rich
tables, ``core_messaging.json`` and the ``core_messaging.png`` chart.

No I/O but the report files, so ``tests/bench_unit`` checks it from a fixture report
without starting Kafka or PostgreSQL.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.platform_report import GoalResult, floor_goal, goals_table

Report = dict[str, Any]
"""The JSON report: ``meta``, ``baselines``, ``pipeline`` (a handler per event),
``pipeline_set`` (a set handler), ``relay``, ``commit_cost``,
``drivers`` (and ``goals``, added when written)."""

PIPELINE_VS_RAW_CONSUME = 0.3
PIPELINE_VS_RAW_CONSUME_MOONSHOT = 0.5
PIPELINE_VS_RAW_INSERT = 0.5
RELAY_VS_RAW_PRODUCE = 0.5
BATCH_SIZES = (1, 10, 100, 500)
PSYCOPG = "psycopg"
ASYNCPG = "asyncpg"
ASYNCPG_NO_CACHE = "asyncpg, no statement cache"


def rate(count: int, seconds: float) -> float:
    """``count`` per second (0 when nothing was timed)."""
    return count / seconds if seconds > 0 else 0.0


def ratio(measured: float, baseline: float) -> float:
    """``measured`` as a multiple of ``baseline`` (0 without a baseline)."""
    return measured / baseline if baseline > 0 else 0.0


def commit_cost(batch: int, events: int, seconds: float) -> dict[str, float]:
    """One row of the batch-size table: µs per event and events per second."""
    return {
        "batch": batch,
        "events": events,
        "seconds": round(seconds, 4),
        "us_per_event": round(seconds * 1e6 / events, 1) if events else 0.0,
        "events_per_s": round(rate(events, seconds), 1),
    }


def ratios(report: Mapping[str, Any]) -> dict[str, float]:
    """Every figure of the report as a multiple of its same-run baseline."""
    base = report["baselines"]
    pipeline = float(report["pipeline"]["events_per_s"])
    set_pipeline = float(report["pipeline_set"]["events_per_s"])
    drivers = report["drivers"]["events_per_s"]
    single = report["drivers"]["single_insert_ms"]
    return {
        "pipeline_vs_raw_consume": ratio(pipeline, float(base["raw_consume_per_s"])),
        "pipeline_vs_raw_insert": ratio(pipeline, float(base["raw_insert_per_s"])),
        "set_pipeline_vs_raw_consume": ratio(set_pipeline, float(base["raw_consume_per_s"])),
        "set_pipeline_vs_raw_insert": ratio(set_pipeline, float(base["raw_insert_per_s"])),
        "relay_vs_raw_produce": ratio(
            float(report["relay"]["rows_per_s"]), float(base["raw_produce_per_s"])
        ),
        "psycopg_vs_asyncpg_batch": ratio(float(drivers[PSYCOPG]), float(drivers[ASYNCPG])),
        "psycopg_vs_asyncpg_single_p50": ratio(
            float(single[PSYCOPG]["p50"]), float(single[ASYNCPG]["p50"])
        ),
    }


def _falls_with_batch(rows: Sequence[Mapping[str, Any]]) -> GoalResult:
    """Met when each larger batch costs less per event than the one before.

    The factor is the worst step (cost of a batch ÷ cost of the smaller one before it):
    above 1, a larger batch cost that many times more.
    """
    ordered = sorted(rows, key=lambda r: r["batch"])
    costs = [float(r["us_per_event"]) for r in ordered]
    steps = [b / a for a, b in itertools.pairwise(costs) if a > 0]
    worst = max(steps, default=float("inf"))
    measured = " → ".join(f"{c:,.0f}" for c in costs) + " µs"
    sizes = ", ".join(str(r["batch"]) for r in ordered)
    return GoalResult(
        "commit cost per event falls as the batch grows",
        "each step < 1x",
        measured,
        bool(steps) and worst < 1.0,
        worst,
        f"batch sizes {sizes}",
    )


def compare_goals(report: Mapping[str, Any]) -> list[GoalResult]:
    """The issue's goals for the shared core against ``report``."""
    r = ratios(report)
    base = report["baselines"]
    relay = float(report["relay"]["rows_per_s"])
    goals: list[GoalResult] = []
    for kind, key, prefix in (
        ("set handler", "pipeline_set", "set_pipeline"),
        ("handler per event", "pipeline", "pipeline"),
    ):
        rate = float(report[key]["events_per_s"])
        goals += [
            floor_goal(
                f"consumer pipeline ({kind}) vs raw aiokafka consume",
                PIPELINE_VS_RAW_CONSUME,
                r[f"{prefix}_vs_raw_consume"],
                "x",
                f"{rate:,.0f}/s beside {float(base['raw_consume_per_s']):,.0f}/s",
            ),
            floor_goal(
                f"consumer pipeline ({kind}) vs raw consume (moonshot)",
                PIPELINE_VS_RAW_CONSUME_MOONSHOT,
                r[f"{prefix}_vs_raw_consume"],
                "x",
            ),
            floor_goal(
                f"consumer pipeline ({kind}) vs raw batched insert",
                PIPELINE_VS_RAW_INSERT,
                r[f"{prefix}_vs_raw_insert"],
                "x",
                f"{rate:,.0f}/s beside {float(base['raw_insert_per_s']):,.0f} rows/s",
            ),
        ]
    return [
        *goals,
        floor_goal(
            "outbox relay vs raw pipelined produce",
            RELAY_VS_RAW_PRODUCE,
            r["relay_vs_raw_produce"],
            "x",
            f"{relay:,.0f}/s beside {float(base['raw_produce_per_s']):,.0f}/s",
        ),
        _falls_with_batch(report["commit_cost"]),
    ]


def _per_s(value: Any) -> str:
    return f"{float(value):,.0f}/s"


def tables(report: Mapping[str, Any]) -> list[Table]:
    """The tables printed at the end (one per concern)."""
    base = report["baselines"]
    r = ratios(report)
    out: list[Table] = []

    throughput = Table(title=f"agora-core on PostgreSQL, {report['meta']['events']:,} events")
    for column in ("measure", "core", "same-run baseline", "ratio"):
        throughput.add_column(column, justify="left" if column == "measure" else "right")
    pipeline = report["pipeline"]["events_per_s"]
    throughput.add_row(
        "consumer pipeline (BatchEventConsumer, 1 row per event)",
        _per_s(pipeline),
        f"raw aiokafka consume {_per_s(base['raw_consume_per_s'])}",
        f"{r['pipeline_vs_raw_consume']:.2f}x",
    )
    throughput.add_row(
        "",
        "",
        f"raw batched insert {_per_s(base['raw_insert_per_s'])}",
        f"{r['pipeline_vs_raw_insert']:.2f}x",
    )
    set_pipeline = report["pipeline_set"]["events_per_s"]
    throughput.add_row(
        "consumer pipeline (set handler: the batch's rows in one statement)",
        _per_s(set_pipeline),
        f"raw aiokafka consume {_per_s(base['raw_consume_per_s'])}",
        f"{r['set_pipeline_vs_raw_consume']:.2f}x",
    )
    throughput.add_row(
        "",
        "",
        f"raw batched insert {_per_s(base['raw_insert_per_s'])}",
        f"{r['set_pipeline_vs_raw_insert']:.2f}x",
    )
    throughput.add_row(
        "outbox relay (PostgresOutboxRelay.flush)",
        _per_s(report["relay"]["rows_per_s"]),
        f"raw pipelined produce {_per_s(base['raw_produce_per_s'])}",
        f"{r['relay_vs_raw_produce']:.2f}x",
    )
    throughput.add_row(
        "outbox rows written (units of work of 500)",
        _per_s(report["relay"]["outbox_write_per_s"]),
        "",
        "",
    )
    out.append(throughput)

    costs = Table(title="a unit of work per batch: marks + 1 row + 1 outbox row per event")
    for column in ("batch", "events", "µs per event", "events/s", "vs batch 1"):
        costs.add_column(column, justify="right")
    rows = sorted(report["commit_cost"], key=lambda row: row["batch"])
    first = float(rows[0]["events_per_s"]) if rows else 0.0
    for row in rows:
        costs.add_row(
            str(row["batch"]),
            f"{row['events']:,}",
            f"{row['us_per_event']:,.0f}",
            f"{row['events_per_s']:,.0f}",
            f"{ratio(float(row['events_per_s']), first):.1f}x",
        )
    out.append(costs)

    drivers = report["drivers"]
    names = list(drivers["events_per_s"])
    driver_table = Table(title="drivers: the same SQL, psycopg 3 and asyncpg")
    driver_table.add_column("measure")
    for name in names:
        driver_table.add_column(name, justify="right")
    driver_table.add_column("psycopg ÷ asyncpg", justify="right")
    driver_table.add_row(
        f"unit of work of {drivers['batch']} (marks + rows + outbox), events/s",
        *(_per_s(drivers["events_per_s"][n]) for n in names),
        f"{r['psycopg_vs_asyncpg_batch']:.2f}x",
    )
    single = drivers["single_insert_ms"]
    driver_table.add_row(
        "single-row insert, p50 / p99 ms",
        *(
            f"{single[n]['p50']:.3f} / {single[n]['p99']:.3f}" if n in single else "-"
            for n in names
        ),
        f"{r['psycopg_vs_asyncpg_single_p50']:.2f}x (p50 latency)",
    )
    out.append(driver_table)

    out.append(goals_table(compare_goals(report), digits=2))
    return out


def print_tables(report: Mapping[str, Any], console: Console) -> None:
    for table in tables(report):
        console.print(table)


def write_json(report: Mapping[str, Any], path: Path) -> None:
    """``report`` with its ratios and goal comparison, as indented JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        **report,
        "ratios": {k: round(v, 4) for k, v in ratios(report).items()},
        "goals": [asdict(g) for g in compare_goals(report)],
    }
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_chart(report: Mapping[str, Any], path: Path) -> None:
    """Four panels: pipeline and relay beside their baselines, commit cost by batch
    size, drivers."""
    import matplotlib  # only the chart needs it (a dev dependency)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    base = report["baselines"]
    r = ratios(report)
    meta = report["meta"]
    figure, axes = plt.subplots(2, 2, figsize=(14, 10))
    figure.suptitle(
        f"agora-core on PostgreSQL · {meta['events']:,} events · {meta.get('started', '')}",
        fontsize=13,
    )

    def bars(axis: Any, labels: list[str], values: list[float], colors: list[str]) -> None:
        drawn = axis.bar(labels, values, color=colors)
        axis.bar_label(drawn, labels=[f"{v:,.0f}" for v in values], fontsize=9)
        axis.grid(True, axis="y", alpha=0.3)

    consumer = axes[0][0]
    bars(
        consumer,
        [
            "raw aiokafka\nconsume",
            "raw batched\ninsert (500)",
            "pipeline,\nper event",
            "pipeline,\nset handler",
        ],
        [
            float(base["raw_consume_per_s"]),
            float(base["raw_insert_per_s"]),
            float(report["pipeline"]["events_per_s"]),
            float(report["pipeline_set"]["events_per_s"]),
        ],
        ["grey", "grey", "tab:blue", "tab:green"],
    )
    consumer.axhline(
        PIPELINE_VS_RAW_CONSUME * float(base["raw_consume_per_s"]),
        color="red",
        linestyle=":",
        label=f"goal: {PIPELINE_VS_RAW_CONSUME:g}x raw consume",
    )
    consumer.axhline(
        PIPELINE_VS_RAW_INSERT * float(base["raw_insert_per_s"]),
        color="purple",
        linestyle=":",
        label=f"goal: {PIPELINE_VS_RAW_INSERT:g}x raw insert",
    )
    consumer.set_yscale("log")
    consumer.legend(fontsize=8, loc="upper right")
    consumer.set_title(
        f"consumer pipeline, events/s (log)\nset handler {r['set_pipeline_vs_raw_consume']:.2f}x "
        f"raw consume (goal 0.3x), {r['set_pipeline_vs_raw_insert']:.2f}x raw insert (goal 0.5x)",
        fontsize=10,
    )

    relay = axes[0][1]
    bars(
        relay,
        ["raw pipelined\nproduce", "outbox\nrelay", "outbox rows\nwritten"],
        [
            float(base["raw_produce_per_s"]),
            float(report["relay"]["rows_per_s"]),
            float(report["relay"]["outbox_write_per_s"]),
        ],
        ["grey", "tab:blue", "tab:cyan"],
    )
    relay.axhline(
        RELAY_VS_RAW_PRODUCE * float(base["raw_produce_per_s"]),
        color="red",
        linestyle=":",
        label=f"goal: {RELAY_VS_RAW_PRODUCE:g}x raw produce",
    )
    relay.legend(fontsize=8, loc="upper right")
    relay.set_title(
        f"outbox relay, rows/s: {r['relay_vs_raw_produce']:.2f}x raw produce (goal 0.5x)",
        fontsize=10,
    )

    costs = axes[1][0]
    rows = sorted(report["commit_cost"], key=lambda row: row["batch"])
    sizes = [row["batch"] for row in rows]
    costs.plot(sizes, [row["us_per_event"] for row in rows], "o-", color="tab:red")
    for row in rows:
        costs.annotate(
            f"{row['us_per_event']:,.0f} µs\n{row['events_per_s']:,.0f}/s",
            (row["batch"], row["us_per_event"]),
            textcoords="offset points",
            xytext=(6, 6),
            fontsize=8,
        )
    costs.set_xscale("log")
    costs.set_yscale("log")
    costs.set_xticks(sizes, [str(s) for s in sizes])
    costs.set_xlabel("events per unit of work")
    costs.set_ylabel("µs per event (log)")
    costs.set_title("commit cost per event by batch size", fontsize=10)
    costs.grid(True, alpha=0.3)

    drivers = axes[1][1]
    per_s = report["drivers"]["events_per_s"]
    bars(
        drivers,
        [name.replace(", ", ",\n") for name in per_s],
        [float(v) for v in per_s.values()],
        ["tab:blue", "tab:orange", "tab:olive"][: len(per_s)],
    )
    single = report["drivers"]["single_insert_ms"]
    drivers.set_title(
        f"unit of work of {report['drivers']['batch']}, events/s; single insert p50: "
        + ", ".join(f"{n} {s['p50']:.2f} ms" for n, s in single.items()),
        fontsize=10,
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
