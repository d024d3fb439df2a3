"""CPU time of processes from ``/proc``: which process saturates during a phase.

A rate that stops growing is bound by something: the service's one Python thread, the
load generator's, PostgreSQL's backends, or the machine's cores (shared with whatever
else runs). :class:`CpuMeter` reads each named process's CPU time and the machine's busy
time at the start and end of a phase and reports cores used (1.0 = one core saturated).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final

from agora_core.postgres import Database

if TYPE_CHECKING:
    from bench.processes.service import ServiceProcesses

CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")


def _stat_fields(path: Path) -> list[str]:
    # Fields after the command (which may hold spaces) end at its closing parenthesis:
    # [0] state, [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime.
    return path.read_text().rsplit(")", 1)[1].split()


def own_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid`` itself, in seconds (0 if gone)."""
    try:
        fields = _stat_fields(Path(f"/proc/{pid}/stat"))
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid`` and its children, in seconds (0 if gone).

    PostgreSQL does its work in backends, children of the sampled postmaster: the live
    ones are summed, and the ones that exited are in the postmaster's waited-for
    children's times (cutime, cstime)."""
    try:
        own = _stat_fields(Path(f"/proc/{pid}/stat"))
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return 0.0
    ticks = sum(int(own[i]) for i in (11, 12, 13, 14))
    for path in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            fields = _stat_fields(path)
            if int(fields[1]) == pid:
                ticks += int(fields[11]) + int(fields[12])
    return ticks / CLOCK_TICKS


def parent_of(pid: int) -> int:
    """The parent process id of ``pid`` (a PostgreSQL backend's postmaster)."""
    return int(_stat_fields(Path(f"/proc/{pid}/stat"))[1])


def machine_busy_seconds() -> float:
    """CPU time the machine's cores spent not idle since boot, every user's work."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


class CpuMeter:
    """Cores used by each named process (``own`` pids alone; ``trees`` with their
    children) and by the whole machine between :meth:`start` and :meth:`stop`."""

    def __init__(self, own: Mapping[str, int], trees: Mapping[str, int]) -> None:
        self._own, self._trees = dict(own), dict(trees)
        self._began = 0.0
        self._before: dict[str, float] = {}

    def _read(self) -> dict[str, float]:
        used = {name: own_cpu_seconds(pid) for name, pid in self._own.items()}
        used |= {name: cpu_seconds(pid) for name, pid in self._trees.items()}
        used["machine"] = machine_busy_seconds()
        return used

    def start(self) -> None:
        self._began, self._before = time.monotonic(), self._read()

    def stop(self) -> dict[str, float]:
        """Cores used per name since :meth:`start` (``machine``: all cores, all users)."""
        seconds = max(time.monotonic() - self._began, 1e-9)
        after = self._read()
        return {name: round((after[name] - self._before[name]) / seconds, 2) for name in after}


async def postmaster_pid(database: Database, tenant_id: str) -> int:
    """The PostgreSQL server's process (its backends are its children)."""
    [(backend,)] = await database.read_once(tenant_id, "SELECT pg_backend_pid()")
    return parent_of(int(backend))


def service_meter(services: ServiceProcesses, postmaster: int) -> CpuMeter:
    """Cores used by the benchmark's own process, each service process, PostgreSQL's
    backends and the whole machine."""
    own = {"bench_client": os.getpid()}
    own |= {f"service_{n}": pid for n, pid in enumerate(services.pids)}
    return CpuMeter(own, {"postgresql": postmaster})
