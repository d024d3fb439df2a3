"""Services as production runs them: ``python -m agora_<service>`` processes, each with
its own interpreter, event loop and core, on free ports, in one consumer group.

A benchmark that drives a service in its own process measures the service alone: the
load generator (a grpc.aio client, a producer) runs in the benchmark's process and does
not share the service's event loop. Several processes sit behind one gRPC target the way
replicas sit behind a headless Kubernetes Service: the client's channel spreads calls
over them round-robin (:meth:`ServiceProcesses.channel`). Each process binds a port of
its own: servers refuse SO_REUSEPORT (``agora_core.grpc.server.server_options``), so two
processes cannot silently share one port.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Final

import aiohttp
import grpc.aio

from agora_core.testing import free_port
from agora_core.testing.grpc_assertions import DEV_SECRET

READY_SECONDS: Final = 300
"""How long a service process may take to answer /readyz."""


class ServiceProcesses:
    """``count`` processes of ``service`` (``agora_<service>``, settings from
    ``AGORA_<SERVICE>_*``) on one database and consumer group; ``settings`` are more
    of its settings by name without the prefix (``{"LOG_LEVEL": "ERROR"}``)."""

    def __init__(
        self,
        service: str,
        *,
        kafka: str,
        dsn: str,
        group: str,
        count: int,
        logs: Path,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        self.service = service
        self._prefix = f"AGORA_{service.upper()}_"
        self._env = [self._environment(kafka, dsn, group, settings or {}) for _ in range(count)]
        self._logs = logs
        self._processes: list[asyncio.subprocess.Process] = []

    def _environment(
        self, kafka: str, dsn: str, group: str, settings: Mapping[str, str]
    ) -> dict[str, str]:
        p = self._prefix
        base = {k: v for k, v in os.environ.items() if not k.startswith(p)}
        defaults = {
            "KAFKA_BOOTSTRAP_SERVERS": kafka,
            "POSTGRES_DSN": dsn,
            "POSTGRES_MIGRATE_ON_START": "true",
            "CONSUMER_GROUP": group,
            "GRPC_PORT": str(free_port()),
            "HTTP_PORT": str(free_port()),
            "PUBLIC_PORT": str(free_port()),
            "DEV_MODE": "true",
            "JWT_HS256_SECRET": DEV_SECRET,
            "LOG_LEVEL": "WARNING",
        }
        return {**base, **{f"{p}{k}": v for k, v in {**defaults, **settings}.items()}}

    @property
    def pids(self) -> list[int]:
        """The running processes' ids (for a profiler)."""
        return [p.pid for p in self._processes if p.returncode is None]

    @property
    def grpc_target(self) -> str:
        """Every process's gRPC address in one target (``ipv4:host:port,host:port``)."""
        ports = [env[f"{self._prefix}GRPC_PORT"] for env in self._env]
        return "ipv4:" + ",".join(f"127.0.0.1:{port}" for port in ports)

    def channel(self) -> grpc.aio.Channel:
        """A channel spreading calls over every process, round-robin."""
        return grpc.aio.insecure_channel(
            self.grpc_target, options=[("grpc.lb_policy_name", "round_robin")]
        )

    async def start(self) -> None:
        """Start every process and wait until each answers /readyz (again after stop)."""
        if any(p.returncode is None for p in self._processes):
            raise RuntimeError(f"the {self.service} processes are already running")
        self._processes = []  # those of an earlier start have all exited
        module = f"agora_{self.service}"
        self._logs.mkdir(parents=True, exist_ok=True)
        for n, env in enumerate(self._env):
            log = (self._logs / f"bench-{self.service}-{n}.log").open("ab")
            self._processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable, "-m", module, env=env, stdout=log, stderr=log
                )
            )
        async with aiohttp.ClientSession() as http:
            for env, process in zip(self._env, self._processes, strict=True):
                await self._ready(http, process, env[f"{self._prefix}HTTP_PORT"])

    async def _ready(
        self, http: aiohttp.ClientSession, process: asyncio.subprocess.Process, port: str
    ) -> None:
        url = f"http://127.0.0.1:{port}/readyz"
        # A deadline, not a count of tries: on a loaded machine a start (imports,
        # migrations, the consumer's assignment) took over 150 s.
        deadline = time.monotonic() + READY_SECONDS
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"a {self.service} process exited ({url})")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            if time.monotonic() > deadline:
                raise RuntimeError(f"a {self.service} process was not ready in {READY_SECONDS} s")
            await asyncio.sleep(0.25)

    async def stop(self) -> None:
        """SIGTERM every process still running and wait for its exit (idempotent)."""
        running = [p for p in self._processes if p.returncode is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            await process.wait()

    async def __aenter__(self) -> ServiceProcesses:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
