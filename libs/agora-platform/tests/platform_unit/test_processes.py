"""Recognising and stopping service processes, on real child processes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from agora_platform.processes import (
    STATE_DIR_MARKER,
    alive,
    is_ours,
    running_pid,
    terminate,
)

pytestmark = pytest.mark.integration

SLEEP = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.{}); "
    "print('ready', flush=True); time.sleep(120)"
)


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for child in started:
        if child.poll() is None:
            child.kill()
            child.wait()


def _start(
    children: list[subprocess.Popen[bytes]], state_dir: Path, on_term: str = "SIG_DFL"
) -> int:
    # `-m timeit` stands in for `-m agora_<service>`: what matters is the module in argv.
    child = subprocess.Popen(  # noqa: S603  # our interpreter
        [sys.executable, "-m", "timeit", "-n", "1", SLEEP.format(on_term)],
        env={**os.environ, STATE_DIR_MARKER: str(state_dir)},
        stdout=subprocess.PIPE,
    )
    children.append(child)
    assert child.stdout is not None
    assert child.stdout.readline() == b"ready\n"  # its SIGTERM handler is in place
    return child.pid


def test_a_process_is_ours_only_with_our_module_and_state_dir(
    tmp_path: Path, children: list[subprocess.Popen[bytes]]
) -> None:
    pid = _start(children, tmp_path / "a")
    assert is_ours(pid, "timeit", tmp_path / "a")
    assert not is_ours(pid, "timeit", tmp_path / "b")  # another platform's process
    assert not is_ours(pid, "agora_catalog", tmp_path / "a")  # a recycled pid
    pid_file = tmp_path / "svc.pid"
    pid_file.write_text(f"{pid}\n")
    assert running_pid(pid_file, "timeit", tmp_path / "a") == pid
    assert running_pid(pid_file, "timeit", tmp_path / "b") is None
    assert not pid_file.exists()  # a stale pid file is cleaned up


async def test_terminate_waits_for_sigterm_then_kills_what_ignores_it(
    tmp_path: Path, children: list[subprocess.Popen[bytes]]
) -> None:
    polite = _start(children, tmp_path)
    stubborn = _start(children, tmp_path, on_term="SIG_IGN")
    first = await terminate(polite, grace=30)
    assert not first.killed
    assert not alive(polite)
    second = await terminate(stubborn, grace=1.5)
    assert second.killed
    assert second.seconds >= 1.5
    assert not alive(stubborn)
