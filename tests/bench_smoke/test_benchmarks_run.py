"""Benchmarks must not rot: each ``bench/*.py`` runs at its ``--smoke`` size and writes
its report (to a temporary directory, never over the committed ones). Figures are not
judged here; speed is judged in the benchmarks' own full-size runs.

Every module at the top of ``bench/`` is an entry point of one of two kinds, and both
are covered: a benchmark (``python -m bench.<name>``) is run here, against the test
environment or, for ``platform_e2e``, on a private platform it starts itself (its own
Kafka, PostgreSQL and service processes on free ports); a report helper
(``<name>_report.py``: tables, goals, chart) runs inside the benchmark that imports it.
Helpers that are neither live in sub-packages (``bench/platform_parts``, ``bench/seeds``…).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import REPORTS_ENV

pytestmark = [pytest.mark.bench_smoke, pytest.mark.timeout(1200)]

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
SMOKE_TIMEOUT_SECONDS = {"platform_e2e": 1080}
"""Per benchmark, when not the default: the end-to-end one starts a whole platform."""
DEFAULT_TIMEOUT_SECONDS = 900
"""Generous: a smoke run takes seconds to a few minutes, several times that on a machine
shared by other test runs (gamification's took 252 s at a load average of 30); the limit
only catches a benchmark that hangs."""
SMALL_SIZES = ("-smoke.json", "-quick.json")


def modules() -> list[str]:
    """Every module at the top of ``bench/`` but the package marker."""
    return sorted(p.stem for p in BENCH.glob("*.py") if p.stem != "__init__")


def benchmarks() -> list[str]:
    """Every benchmark module: ``bench/*.py`` but the package and the report helpers."""
    return [name for name in modules() if not name.endswith("_report")]


def report_helpers() -> list[str]:
    return [name for name in modules() if name.endswith("_report")]


def imported_bench_modules(name: str) -> set[str]:
    """The ``bench.*`` modules ``bench/<name>.py`` imports (``from bench import x`` too)."""
    tree = ast.parse((BENCH / f"{name}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "bench":
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bench."):
            found.add((node.module or "").split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("bench."))
    return found


def test_every_benchmark_is_found() -> None:
    # A rename of the folder or a glob gone wrong would make the run below vacuous.
    assert {
        "core_messaging",
        "catalog",
        "catalog_ranking",
        "community",
        "erasure",
        "gamification",
        "gateway",
        "notifications",
        "notifications_inbox",
        "platform_e2e",
        "replay",
        "tracing",
        "xapi",
    } <= set(benchmarks())


@pytest.mark.parametrize("helper", report_helpers())
def test_every_report_helper_runs_inside_a_benchmark(helper: str) -> None:
    users = [name for name in benchmarks() if helper in imported_bench_modules(name)]
    assert users, (
        f"bench/{helper}.py is imported by no benchmark, so no smoke run covers it: "
        "import it from its benchmark, or move it out of the top of bench/"
    )


@pytest.mark.parametrize("name", benchmarks())
def test_the_benchmark_runs_at_smoke_size(name: str, tmp_path: Path) -> None:
    env = {**os.environ, REPORTS_ENV: str(tmp_path), "COLUMNS": "160"}
    timeout = SMOKE_TIMEOUT_SECONDS.get(name, DEFAULT_TIMEOUT_SECONDS)
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", f"bench.{name}", "--smoke"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"bench.{name} --smoke ran over {timeout} s:\n{expired.stdout!r}")
    tail = "\n".join((done.stdout + done.stderr).splitlines()[-40:])
    if done.returncode == 2 and "--smoke" in done.stderr:
        pytest.fail(f"bench.{name} has no --smoke option (every benchmark needs one):\n{tail}")
    assert done.returncode == 0, f"bench.{name} --smoke failed:\n{tail}"
    reports = sorted(p.name for p in tmp_path.glob("*.json"))
    assert reports, f"bench.{name} --smoke wrote no JSON report to {tmp_path}:\n{tail}"
    # Run by hand, without AGORA_BENCH_REPORTS, a smoke run writes to bench/reports/:
    # it must not take the name of a committed report there.
    committed = {p.name for p in (BENCH / "reports").glob("*.json")}
    clobbering = [r for r in reports if r in committed and not r.endswith(SMALL_SIZES)]
    assert not clobbering, f"bench.{name} --smoke writes a full-size report name: {clobbering}"
