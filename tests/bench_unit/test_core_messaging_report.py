"""The pure parts of the core messaging benchmark (bench/core_messaging_report.py):
rates and ratios, the batch-size rows, the goal comparison, the tables, the JSON report
and the chart, from a fixture report. The benchmark itself never runs here (it needs
Kafka and PostgreSQL: make bench-core)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from bench import core_messaging_report as report_
from bench.core_messaging_report import commit_cost, compare_goals, ratios

pytestmark = pytest.mark.unit


def _latency(p50: float, p99: float) -> dict[str, float]:
    return {"n": 300, "p50": p50, "p95": p99, "p99": p99, "max": p99}


def fixture_report(*, costs: tuple[float, ...] = (1.0, 0.2, 0.05, 0.04)) -> dict[str, Any]:
    """``costs``: seconds to handle 1,000 events at batch sizes 1, 10, 100 and 500."""
    return {
        "meta": {"events": 50_000, "quick": False, "started": "2026-12-06 18:00 UTC"},
        "baselines": {
            "raw_produce_per_s": 40_000.0,
            "raw_consume_per_s": 100_000.0,
            "raw_insert_per_s": 50_000.0,
        },
        "pipeline": {"events": 50_000, "seconds": 2.0, "events_per_s": 25_000.0},
        "pipeline_set": {"events": 50_000, "seconds": 1.0, "events_per_s": 50_000.0},
        "relay": {
            "rows": 50_000,
            "seconds": 2.5,
            "rows_per_s": 20_000.0,
            "outbox_write_per_s": 30_000.0,
        },
        "commit_cost": [
            commit_cost(size, 1_000, seconds)
            for size, seconds in zip(report_.BATCH_SIZES, costs, strict=True)
        ],
        "drivers": {
            "batch": 500,
            "events_per_driver": 20_000,
            "events_per_s": {
                report_.PSYCOPG: 8_000.0,
                report_.ASYNCPG: 16_000.0,
                report_.ASYNCPG_NO_CACHE: 12_000.0,
            },
            "single_insert_ms": {
                report_.PSYCOPG: _latency(0.3, 1.2),
                report_.ASYNCPG: _latency(0.2, 1.0),
            },
            "single_inserts": 300,
        },
    }


def test_rates_and_batch_rows() -> None:
    assert report_.rate(500, 0.25) == 2_000.0
    assert report_.rate(500, 0.0) == 0.0  # nothing timed, no division by zero
    assert report_.ratio(3.0, 0.0) == 0.0
    row = commit_cost(100, 2_000, 0.5)
    assert (row["batch"], row["events"], row["us_per_event"], row["events_per_s"]) == (
        100,
        2_000,
        250.0,
        4_000.0,
    )


def test_every_figure_is_a_ratio_to_its_baseline() -> None:
    r = ratios(fixture_report())
    assert r["pipeline_vs_raw_consume"] == pytest.approx(0.25)
    assert r["pipeline_vs_raw_insert"] == pytest.approx(0.5)
    assert r["set_pipeline_vs_raw_consume"] == pytest.approx(0.5)
    assert r["set_pipeline_vs_raw_insert"] == pytest.approx(1.0)
    assert r["relay_vs_raw_produce"] == pytest.approx(0.5)
    assert r["psycopg_vs_asyncpg_batch"] == pytest.approx(0.5)
    assert r["psycopg_vs_asyncpg_single_p50"] == pytest.approx(1.5)


def test_goals_say_met_or_missed_and_by_how_much() -> None:
    goals = {g.goal: g for g in compare_goals(fixture_report())}
    consume = goals["consumer pipeline (handler per event) vs raw aiokafka consume"]
    assert not consume.met
    assert consume.factor == pytest.approx(0.3 / 0.25)
    assert not goals["consumer pipeline (handler per event) vs raw consume (moonshot)"].met
    assert goals["consumer pipeline (handler per event) vs raw batched insert"].met  # 0.5x
    assert goals["consumer pipeline (set handler) vs raw aiokafka consume"].met
    assert goals["consumer pipeline (set handler) vs raw consume (moonshot)"].met  # 0.5x
    assert goals["outbox relay vs raw pipelined produce"].met
    falls = goals["commit cost per event falls as the batch grows"]
    assert falls.met
    assert falls.measured == "1,000 → 200 → 50 → 40 µs"
    assert falls.factor == pytest.approx(0.8)  # the smallest gain: 100 → 500


def test_a_larger_batch_costing_more_is_a_miss() -> None:
    goals = {g.goal: g for g in compare_goals(fixture_report(costs=(1.0, 0.2, 0.05, 0.06)))}
    falls = goals["commit cost per event falls as the batch grows"]
    assert not falls.met
    assert falls.factor == pytest.approx(1.2)


def test_report_tables_and_chart_are_written(tmp_path: Path) -> None:
    report = fixture_report()
    report_.write_json(report, tmp_path / "core_messaging.json")
    written = json.loads((tmp_path / "core_messaging.json").read_text(encoding="utf-8"))
    assert written["commit_cost"] == report["commit_cost"]
    assert written["ratios"]["relay_vs_raw_produce"] == 0.5
    assert {g["goal"] for g in written["goals"]} >= {"outbox relay vs raw pipelined produce"}
    report_.write_chart(report, tmp_path / "core_messaging.png")
    assert (tmp_path / "core_messaging.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    console = Console(record=True, width=200)
    report_.print_tables(report, console)
    text = console.export_text()
    assert "the issue's goals" in text
    assert "raw aiokafka consume 100,000/s" in text
    assert "0.25x" in text
    assert "asyncpg, no statement cache" in text
