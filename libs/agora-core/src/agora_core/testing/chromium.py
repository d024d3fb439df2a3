"""Headless Chromium for browser tests: Debian's package, installed on first use.

Playwright (npm ``playwright-core`` in clients/typescript, PyPI ``playwright`` for the
web app's tests) drives it by its executable path; Playwright's own browser downloads
cannot be reached here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Final

CHROMIUM: Final = Path("/usr/bin/chromium")


def chromium() -> Path:
    """The Chromium executable, installed with apt-get when missing (CI runs as root)."""
    if CHROMIUM.exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise RuntimeError("Chromium is missing: apt-get install chromium (as root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in ([apt, "update"], [apt, "install", "-y", "--no-install-recommends", "chromium"]):
        done = subprocess.run(  # noqa: S603 - fixed commands
            command, capture_output=True, text=True, timeout=900, env=env, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return CHROMIUM
