"""How many generated cases each part of the suite runs, and prints at the end of the run."""

from __future__ import annotations

import os
from collections import Counter

GENERATED_CASES: Counter[str] = Counter()
"""Part name → number of generated inputs sent to a real service."""

MINIMUM_TOTAL = 10_000
"""The full budget (scale 1) is sized so that one run sends at least this many."""

SCALE = float(os.environ.get("AGORA_SECURITY_FUZZ_SCALE", "1"))
"""Multiplies every fuzzing budget: below 1 for a quick local look, 1 in CI."""


def scaled(examples: int) -> int:
    """``examples`` times :data:`SCALE`, at least one."""
    return max(1, round(examples * SCALE))
