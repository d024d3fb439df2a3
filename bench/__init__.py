"""Benchmarks (``python -m bench.<name>``; ``python -m bench.platform_e2e``).

Every benchmark offers ``--smoke``: the smallest run that still goes through each of its
phases, so CI can prove it still runs (``tests/bench_smoke``) in seconds; its figures
mean nothing and are never written over the committed reports. Reports go to
``bench/reports/`` unless ``AGORA_BENCH_REPORTS`` names another directory (the smoke
run's temporary one).
"""

from __future__ import annotations

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


def reports_dir() -> Path:
    """Where reports go: ``$AGORA_BENCH_REPORTS`` or ``bench/reports``."""
    configured = os.environ.get(REPORTS_ENV)
    return Path(configured) if configured else Path(__file__).resolve().parent / "reports"
