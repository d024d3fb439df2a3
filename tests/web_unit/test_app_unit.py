"""The web app's own unit tests (``apps/web/test``, node's test runner: the refresh-token
logic, no I/O), run with the app's pinned packages."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from agora_platform.web import ensure_node_modules, web_dir

ROOT = Path(__file__).resolve().parents[2]


def test_web_app_unit_tests_pass() -> None:
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm (Node.js 20) is needed for the web app's unit tests")
    app = web_dir(ROOT)
    ensure_node_modules(app)
    done = subprocess.run(  # noqa: S603 - our own npm script
        [npm, "test", "--silent"], cwd=app, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert "# fail 0" in done.stdout, done.stdout[-2000:]
