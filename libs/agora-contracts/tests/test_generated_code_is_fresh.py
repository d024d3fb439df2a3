"""The committed gRPC code must be exactly what ``tools/gen_protos.py`` produces."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
GENERATOR = REPO_ROOT / "tools" / "gen_protos.py"


@pytest.mark.unit
def test_generated_grpc_code_matches_the_protos() -> None:
    result = subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [sys.executable, str(GENERATOR), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (
        "generated gRPC code is stale; run `python tools/gen_protos.py` (make proto):\n"
        + result.stderr
    )
