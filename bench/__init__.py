"""Benchmarks (``python -m bench.<name>``; ``python -m bench.platform_e2e``).

Every benchmark offers ``--smoke``: the smallest run that still goes through each of its
phases, so CI can prove it still runs (``tests/bench_smoke``) in seconds; its figures
mean nothing and are never written over the committed reports. Reports go to
``bench/reports/`` unless ``AGORA_BENCH_REPORTS`` names another directory (the smoke
run's temporary one).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Final

REPORTS_ENV: Final = "AGORA_BENCH_REPORTS"
SMOKE_HELP: Final = "smallest run through every phase (CI smoke run; figures not judged)"


def report_stem(name: str, *, smoke: bool = False, quick: bool = False) -> str:
    """A report's file name without extension: ``name``, or ``name-smoke`` /
    ``name-quick`` for the small sizes, so they never replace a committed full-size
    report (the ``-smoke``/``-quick`` files are git-ignored)."""
    return f"{name}-smoke" if smoke else f"{name}-quick" if quick else name


TEST_KAFKA_DEFAULT: Final = "127.0.0.1:29092"
TEST_POSTGRES_ADMIN_DEFAULT: Final = (
    "postgresql://postgres:agora-local-postgres@127.0.0.1:25432/postgres"
)


def add_infrastructure_arguments(
    parser: argparse.ArgumentParser, *, kafka: bool = True, postgres: bool = True
) -> None:
    """``--kafka`` and ``--postgres`` (an admin DSN: the benchmark makes and drops its own
    databases), defaulting to the test environment's (``tools/test-env.sh``)."""
    if kafka:
        parser.add_argument(
            "--kafka", default=os.environ.get("AGORA_TEST_KAFKA", TEST_KAFKA_DEFAULT)
        )
    if postgres:
        parser.add_argument(
            "--postgres",
            default=os.environ.get("AGORA_TEST_POSTGRES_DSN", TEST_POSTGRES_ADMIN_DEFAULT),
            help="an admin DSN: the benchmark creates (and drops) its own databases",
        )


def reports_dir() -> Path:
    """Where reports go: ``$AGORA_BENCH_REPORTS`` or ``bench/reports``."""
    configured = os.environ.get(REPORTS_ENV)
    return Path(configured) if configured else Path(__file__).resolve().parent / "reports"
