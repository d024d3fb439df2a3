"""The pure parts of the RSS soak (bench/platform_parts/soak.py): growth between the
first and last quarters' medians, the goal, the JSON and the chart, from a fixture."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from bench.platform_parts import soak


def test_growth_compares_the_quarters_medians_not_the_extremes() -> None:
    # A saw-tooth (collections) around 100 MB, then 112 MB: the medians say 12 %.
    values = [100.0, 140.0, 100.0, 100.0] + [105.0] * 8 + [112.0, 60.0, 112.0, 112.0]
    figures = soak.growth(values)
    assert figures["first_quarter_mb"] == 100.0
    assert figures["last_quarter_mb"] == 112.0
    assert figures["growth_pct"] == pytest.approx(12.0)
    assert figures["max_mb"] == 140.0
    assert soak.growth([])["growth_pct"] == 0.0


def fixture(minutes: float, sustained: float) -> dict[str, Any]:
    rss = {"gamification": [100.0] * 4 + [104.0] * 4, "catalog": [100.0] * 4 + [120.0] * 4}
    rss["kafka"] = [500.0] * 4 + [900.0] * 4
    return {
        "meta": {"started": "2026-12-07 06:30 UTC"},
        "soak": {
            "rate_offered_per_s": 200,
            "seconds": minutes * 60,
            "sustained": {"completions_per_s": sustained, "consumed_per_s": {"catalog": 9.0}},
            "windows": [
                {"t": 30.0, "completions_per_s": sustained, "consumed_per_s": {"catalog": 9.0}}
            ],
            "rss": {name: soak.growth(values) for name, values in rss.items()},
            "load_average": {"mean": 4.0, "max": 6.0},
            "series": {"t": [2.0 * n for n in range(8)], "rss_mb": rss},
        },
    }


def test_growth_goal_needs_the_full_soak_and_leaves_infrastructure_out() -> None:
    short = {g.goal: g for g in soak.goals(fixture(5, 40)["soak"])}
    assert "kafka RSS growth over the soak" not in short
    assert not short["gamification RSS growth over the soak"].met  # 4 %, but 5 min at 40/s
    assert "the goal: 20 min at 200/s" in short["gamification RSS growth over the soak"].note
    full = {g.goal: g for g in soak.goals(fixture(20, 200)["soak"])}
    assert full["gamification RSS growth over the soak"].met
    assert not full["catalog RSS growth over the soak"].met  # 20 % > 10 %
    assert full["catalog RSS growth over the soak"].factor == pytest.approx(2.0)


def test_soak_report_and_chart_are_written(tmp_path: Path) -> None:
    report = fixture(5, 40)
    soak.write_json(report, tmp_path / "soak.json")
    written = json.loads((tmp_path / "soak.json").read_text(encoding="utf-8"))
    assert written["soak"]["rss"]["catalog"]["growth_pct"] == pytest.approx(20.0)
    assert len(written["goals"]) == 2
    soak.write_chart(report, tmp_path / "soak.png")
    assert (tmp_path / "soak.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    console = Console(record=True, width=200)
    soak.print_table(report, console)
    assert "RSS over the soak (5.0 min)" in console.export_text()
