"""Services run as their own processes (``python -m <package>``), the way production runs
them, so a benchmark's load generator never shares an event loop or a core's GIL with
the service it measures.

    environment = service_environment("AGORA_CATALOG_", kafka=kafka, dsn=dsn, group=group)
    processes = ServiceProcesses("agora_catalog", [environment], logs)
    await processes.start()  # every process answers /readyz
    ...
    await processes.stop()  # SIGTERM, wait (idempotent)

A package, not a module at the top of ``bench/``: a helper of the benchmarks, not a
benchmark (``tests/bench_smoke`` runs every top-level module as one).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import aiohttp

from agora_core.testing import free_port
from agora_core.testing.grpc_assertions import DEV_SECRET

READY_SECONDS = 300
"""How long a service process may take to answer /readyz (imports, migrations and the
consumer's assignment took over 150 s on a loaded machine)."""


def service_environment(
    prefix: str, *, kafka: str, dsn: str, group: str, **settings: str
) -> dict[str, str]:
    """This process's environment without ``prefix`` variables, plus a dev-mode service's:
    the broker, its database (migrated at start), its consumer group, free ports, the
    test JWT secret, WARNING logs, and ``settings`` (``pool_max_size="16"`` sets
    ``<prefix>POOL_MAX_SIZE``)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(prefix)}
    return {
        **base,
        f"{prefix}KAFKA_BOOTSTRAP_SERVERS": kafka,
        f"{prefix}POSTGRES_DSN": dsn,
        f"{prefix}POSTGRES_MIGRATE_ON_START": "true",
        f"{prefix}CONSUMER_GROUP": group,
        f"{prefix}GRPC_PORT": str(free_port()),
        f"{prefix}HTTP_PORT": str(free_port()),
        f"{prefix}PUBLIC_PORT": str(free_port()),
        f"{prefix}DEV_MODE": "true",
        f"{prefix}JWT_HS256_SECRET": DEV_SECRET,
        f"{prefix}LOG_LEVEL": "WARNING",
        **{f"{prefix}{name.upper()}": value for name, value in settings.items()},
    }


class ServiceProcesses:
    """``python -m <package>`` processes, one per environment (``service_environment``);
    each one's log is ``logs/bench-<service>-<n>.log``."""

    def __init__(self, package: str, environments: Sequence[Mapping[str, str]], logs: Path) -> None:
        self._package = package
        self._prefix = f"AGORA_{package.removeprefix('agora_').upper()}_"
        self._env = list(environments)
        self._logs = logs
        self._processes: list[asyncio.subprocess.Process] = []

    def port(self, n: int, name: str) -> int:
        """Process ``n``'s port ``name`` (``"GRPC"``, ``"HTTP"``)."""
        return int(self._env[n][f"{self._prefix}{name}_PORT"])

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self._processes]

    async def start(self) -> None:
        """Start every process and return once each answers /readyz."""
        self._logs.mkdir(parents=True, exist_ok=True)
        for n, env in enumerate(self._env):
            log = (self._logs / f"bench-{self._package.removeprefix('agora_')}-{n}.log").open("ab")
            self._processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable, "-m", self._package, env=dict(env), stdout=log, stderr=log
                )
            )
        async with aiohttp.ClientSession() as http:
            for n, process in enumerate(self._processes):
                await self._ready(http, process, f"http://127.0.0.1:{self.port(n, 'HTTP')}/readyz")

    async def _ready(
        self, http: aiohttp.ClientSession, process: asyncio.subprocess.Process, url: str
    ) -> None:
        deadline = time.monotonic() + READY_SECONDS  # a deadline, not a count of tries
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"a {self._package} process exited ({url})")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"a {self._package} process was not ready in {READY_SECONDS} s ({url})"
                )
            await asyncio.sleep(0.25)

    async def stop(self) -> None:
        """SIGTERM every process still running and wait for its exit (idempotent)."""
        running = [p for p in self._processes if p.returncode is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            await process.wait()
