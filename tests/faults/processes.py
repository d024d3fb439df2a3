"""Service processes for fault scenarios, started with the platform supervisor's parts.

Each service runs as ``python -m agora_<service>`` in its own session, with the
environment ``agora_platform`` gives it (dev-mode auth, ports, broker, database) plus
the scenario's overrides (its own database and consumer group per run), and is waited
for as ``make up`` waits: gRPC health SERVING and ``/readyz`` (consumers own their
partitions). A scenario can then SIGKILL it, SIGTERM it, and start it again.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console

from agora_core.testing.grpc_assertions import DEV_SECRET
from agora_platform.config import PlatformConfig, ServiceConfig, load_config
from agora_platform.display import Display
from agora_platform.private import free_port
from agora_platform.processes import StopResult, alive, log_tail, spawn, terminate, wait_exit
from agora_platform.supervisor import service_env, wait_ready

REPO_ROOT = Path(__file__).resolve().parents[2]


def platform_config(state_dir: Path, kafka: str, service: str) -> PlatformConfig:
    """The supervisor's view of a one-service platform on the test infrastructure,
    with the service on free ports."""
    kafka_port = kafka.rsplit(":", 1)[1]
    prefix = f"AGORA_{service.upper()}_"
    environ = {
        "AGORA_LOCAL_DIR": str(state_dir),
        "AGORA_KAFKA_PORT": kafka_port,
        f"{prefix}GRPC_PORT": str(free_port()),
        f"{prefix}HTTP_PORT": str(free_port()),
        f"{prefix}PUBLIC_PORT": str(free_port()),
        # The supervisor serves Connect too: a second replica must not reuse the port.
        f"{prefix}CONNECT_PORT": str(free_port()),
    }
    return load_config(REPO_ROOT, environ)


@dataclass
class ServiceProcess:
    """One service of a scenario, as a real process that can be killed and restarted."""

    config: PlatformConfig
    service: ServiceConfig
    overrides: Mapping[str, str]
    pid: int | None = None
    starts: int = field(default=0)
    module: str | None = None
    """The module run instead of the service's own (a test-only variant)."""

    @classmethod
    def create(
        cls, state_dir: Path, kafka: str, name: str, overrides: Mapping[str, str]
    ) -> ServiceProcess:
        config = platform_config(state_dir, kafka, name)
        return cls(config=config, service=config.service(name), overrides=overrides)

    def replica(self, state_dir: Path) -> ServiceProcess:
        """Another process of the same service: same broker, database, consumer group
        and settings, its own ports (a second replica of a Deployment)."""
        return ServiceProcess.create(
            state_dir,
            self.config.kafka_bootstrap,
            self.service.name,
            self.overrides,
        )

    @property
    def grpc_address(self) -> str:
        return self.service.grpc_address

    @property
    def log_file(self) -> Path:
        return self.config.logs_dir / f"{self.service.name}.log"

    def _environment(self) -> dict[str, str]:
        # The caller's own AGORA_<SVC>_* settings must not leak into a scenario.
        base = {k: v for k, v in os.environ.items() if not k.startswith(self.service.prefix)}
        env = service_env(self.config, self.service, DEV_SECRET, base)
        env.update(self.overrides)
        return env

    async def start(self) -> None:
        """Spawn the process and wait until it serves and its consumers are assigned."""
        assert self.pid is None or not alive(self.pid), "already running"
        self.pid = spawn(
            Path(sys.executable),
            self.module or self.service.module,
            self._environment(),
            self.log_file,
            self.config.state_dir / f"{self.service.name}.pid",
        )
        self.starts += 1
        # The supervisor's readiness wait reports on a progress display: keep it silent.
        with Display(Console(file=io.StringIO())) as display:
            step = display.step(f"{self.service.name} #{self.starts}")
            await wait_ready(self.config, self.service, self.pid, step)

    async def kill(self) -> None:
        """SIGKILL: no drain, no commit, no outbox flush (a crash or an OOM kill)."""
        assert self.pid is not None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        assert await wait_exit(self.pid, 30.0), f"pid {self.pid} survived SIGKILL"
        self.pid = None

    async def stop(self, grace: float = 40.0) -> StopResult:
        """SIGTERM (graceful drain), SIGKILL after ``grace`` seconds."""
        assert self.pid is not None
        result = await terminate(self.pid, grace)
        self.pid = None
        return result

    def tail(self) -> str:
        """The end of the process's log, for failure messages."""
        return log_tail(self.log_file, 40)

    async def consumed(self, outcome: str, tenants: Collection[str] | None = None) -> int:
        """``agora_events_consumed_total`` of this process for ``outcome`` (duplicate,
        ignored, dead_lettered, handled), summed over topics and types; with ``tenants``,
        ``agora_tenant_events_consumed_total`` of those tenants alone (the process must
        run with ``METRICS_PER_TENANT``), so what other runs publish on shared topics
        is not counted."""
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http,
            http.get(self.service.metrics_url) as response,
        ):
            text = await response.text()
        family_name = "agora_events_consumed" if tenants is None else "agora_tenant_events_consumed"
        return round(
            sum(
                sample.value
                for family in text_string_to_metric_families(text)
                if family.name == family_name
                for sample in family.samples
                if sample.name == f"{family_name}_total"
                and sample.labels.get("outcome") == outcome
                and (tenants is None or sample.labels.get("tenant") in tenants)
            )
        )
