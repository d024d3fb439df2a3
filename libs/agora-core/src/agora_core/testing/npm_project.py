"""A Node.js tool a test runs, installed from its pinned lock file once per lock.

The tool's directory holds ``package.json``, ``package-lock.json`` and its scripts;
``npm ci`` installs it into ``~/.cache/agora/<name>-<lock hash>`` (CI caches
``~/.cache``), under a file lock so parallel sessions install it once. Scripts are
copied on every call, so an edited script runs without a new install.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Final

CACHE: Final = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "agora"
INSTALL_TIMEOUT_SECONDS: Final = 600


def installed_npm_project(source: Path, name: str, scripts: Sequence[str] = ()) -> Path:
    """The installed copy of ``source`` (``node_modules`` present) with its ``scripts``."""
    lock = (source / "package-lock.json").read_bytes()
    directory = CACHE / f"{name}-{hashlib.sha256(lock).hexdigest()[:12]}"
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{directory}.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # one install even with parallel sessions
        marker = directory / "node_modules" / ".package-lock.json"
        if not marker.exists():
            npm = shutil.which("npm")
            if npm is None:
                raise RuntimeError(f"npm (Node.js) is needed to install {name}")
            directory.mkdir(exist_ok=True)
            for file in ("package.json", "package-lock.json"):
                shutil.copyfile(source / file, directory / file)
            subprocess.run(  # noqa: S603 - npm from PATH, fixed arguments, pinned lock
                [npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"],
                cwd=directory,
                check=True,
                capture_output=True,
                timeout=INSTALL_TIMEOUT_SECONDS,
            )
        for script in scripts:
            shutil.copyfile(source / script, directory / script)
    return directory
