"""Benchmarks must not rot: each ``bench/*.py`` runs at its ``--smoke`` size against the
test environment and writes its report (to a temporary directory, never over the
committed ones). Figures are not judged here; speed is judged in the benchmarks'
own full-size runs.

The end-to-end benchmark (``bench/platform_e2e.py``) is the one exception: it starts a
platform of its own (its own Kafka and PostgreSQL), and a CI run starts its
infrastructure once. Its smoke run is ``make bench-platform ARGS=--quick``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import REPORTS_ENV

pytestmark = [pytest.mark.bench_smoke, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
OWN_PLATFORM = {"platform_e2e"}
"""Benchmarks that bring their own infrastructure (see the module docstring)."""
SMOKE_TIMEOUT_SECONDS = 420


def benchmarks() -> list[str]:
    """Every benchmark module: ``bench/*.py`` but the package, reports and helpers."""
    names = []
    for path in sorted((ROOT / "bench").glob("*.py")):
        name = path.stem
        if name == "__init__" or name.endswith("_report") or name in OWN_PLATFORM:
            continue
        names.append(name)
    return names


def test_every_benchmark_is_found() -> None:
    # A rename of the folder or a glob gone wrong would make the run below vacuous.
    assert {
        "core_messaging",
        "catalog",
        "community",
        "gamification",
        "notifications_inbox",
    } <= set(benchmarks())


@pytest.mark.parametrize("name", benchmarks())
def test_the_benchmark_runs_at_smoke_size(name: str, tmp_path: Path) -> None:
    env = {**os.environ, REPORTS_ENV: str(tmp_path), "COLUMNS": "160"}
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", f"bench.{name}", "--smoke"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=SMOKE_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"bench.{name} --smoke ran over {SMOKE_TIMEOUT_SECONDS} s:\n{expired.stdout!r}")
    tail = "\n".join((done.stdout + done.stderr).splitlines()[-40:])
    if done.returncode == 2 and "--smoke" in done.stderr:
        pytest.fail(f"bench.{name} has no --smoke option (every benchmark needs one):\n{tail}")
    assert done.returncode == 0, f"bench.{name} --smoke failed:\n{tail}"
    reports = sorted(p.name for p in tmp_path.glob("*.json"))
    assert reports, f"bench.{name} --smoke wrote no JSON report to {tmp_path}:\n{tail}"
