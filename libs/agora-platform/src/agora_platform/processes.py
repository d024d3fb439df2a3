"""Service processes: start detached, recognise our own, stop with SIGTERM then SIGKILL.

A pid file alone is not proof: after a reboot or a long pause the pid may belong to
someone else. A process counts as ours only if its command line runs the service's
module and its environment names our state directory (``AGORA_PLATFORM_STATE_DIR``),
so two platforms on one machine never stop each other's processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

STATE_DIR_MARKER = "AGORA_PLATFORM_STATE_DIR"


def read_pid(pid_file: Path) -> int | None:
    try:
        text = pid_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


def is_ours(pid: int, module: str, state_dir: Path) -> bool:
    """True if ``pid`` is alive and is ``python -m <module>`` of this state directory."""
    proc = Path(f"/proc/{pid}")
    try:
        args = (proc / "cmdline").read_bytes().split(b"\0")
        environ = (proc / "environ").read_bytes().split(b"\0")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    marker = f"{STATE_DIR_MARKER}={state_dir}".encode()
    return module.encode() in args and marker in environ


def running_pid(pid_file: Path, module: str, state_dir: Path) -> int | None:
    """The live pid recorded in ``pid_file`` if it is ours; removes a stale file."""
    pid = read_pid(pid_file)
    if pid is not None and is_ours(pid, module, state_dir):
        return pid
    pid_file.unlink(missing_ok=True)
    return None


def port_in_use(port: int) -> bool:
    """True if something listens on 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def spawn(python: Path, module: str, env: Mapping[str, str], log_file: Path, pid_file: Path) -> int:
    """Start ``python -m module`` in its own session (it outlives this command).

    Output is appended to ``log_file``; the pid is written to ``pid_file``.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603  # our interpreter, our module
            [str(python), "-m", module],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    pid_file.write_text(f"{process.pid}\n", encoding="utf-8")
    return process.pid


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A child of this process that exited stays a zombie until reaped: reap it here.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


@dataclass(frozen=True)
class StopResult:
    """How one process ended."""

    pid: int
    seconds: float
    killed: bool


async def wait_exit(pid: int, seconds: float) -> bool:
    """Poll until ``pid`` is gone (True) or ``seconds`` pass (False).

    Polling, because a process we did not start (or that survived its starter) has no
    handle to await.
    """
    deadline = time.monotonic() + seconds
    while True:
        if not alive(pid):
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.1)


async def terminate(pid: int, grace: float) -> StopResult:
    """SIGTERM, wait up to ``grace`` seconds for the graceful shutdown, then SIGKILL."""
    started = time.monotonic()
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if await wait_exit(pid, grace):
        return StopResult(pid=pid, seconds=time.monotonic() - started, killed=False)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    await wait_exit(pid, 10.0)
    return StopResult(pid=pid, seconds=time.monotonic() - started, killed=True)


def log_tail(log_file: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of ``log_file`` (empty if it does not exist)."""
    try:
        content = log_file.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(content.splitlines()[-lines:])
