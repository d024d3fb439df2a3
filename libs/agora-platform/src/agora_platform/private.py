"""A private platform beside the shared one: its own state directory and free ports.

Tests that stop the broker or the database (fault injection), or that prove ``down``
stops them, must never touch the Kafka and PostgreSQL the rest of the suite (or a
developer) uses. Every port and the state directory of ``deploy/local/*.sh`` and of the
services can be overridden (``agora_platform.config``); this module picks them once, so
the system tests and the fault suite build a private platform the same way.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from pathlib import Path

from rich.console import Console

from agora_core.ports import free_port as free_port
from agora_platform.config import DEFAULT_PUBLIC_PORTS, PlatformConfig, load_config
from agora_platform.display import Display
from agora_platform.supervisor import provision_topics, run_script


def private_environ(
    state_dir: Path, base: Mapping[str, str], services: Iterable[str] = ()
) -> dict[str, str]:
    """``base`` without the caller's own platform settings, plus a state directory and
    free ports for Kafka, PostgreSQL and each of ``services``."""
    env = {
        key: value
        for key, value in base.items()
        # AGORA_TEST_* name the shared infrastructure; any other AGORA_* would leak the
        # caller's platform into this one.
        if not key.startswith("AGORA_") or key.startswith("AGORA_TEST_")
    }
    env.update(
        AGORA_LOCAL_DIR=str(state_dir),
        AGORA_KAFKA_PORT=str(free_port()),
        AGORA_KAFKA_CONTROLLER_PORT=str(free_port()),
        AGORA_POSTGRES_PORT=str(free_port()),
        AGORA_WEB_PORT=str(free_port()),
        AGORA_WEB_OIDC_PORT=str(free_port()),
    )
    for service in services:
        prefix = f"AGORA_{service.upper()}_"
        env[f"{prefix}GRPC_PORT"] = str(free_port())
        env[f"{prefix}HTTP_PORT"] = str(free_port())
        env[f"{prefix}CONNECT_PORT"] = str(free_port())
        if service in DEFAULT_PUBLIC_PORTS:  # gamification's and notifications' public endpoints
            env[f"{prefix}PUBLIC_PORT"] = str(free_port())
    return env


class PrivateInfra:
    """Kafka and PostgreSQL of a private platform, each started and stopped through its
    ``deploy/local`` script (same state directory, same ports, same data on restart):
    ``up`` starts both, ``down`` stops both; a fault test stops and starts one alone."""

    def __init__(self, root: Path, environ: Mapping[str, str]) -> None:
        self.config: PlatformConfig = load_config(root, environ)
        self._env = self.config.script_env(environ)
        self._deploy = root / "deploy" / "local"

    @classmethod
    def create(cls, root: Path, state_dir: Path, base: Mapping[str, str]) -> PrivateInfra:
        return cls(root, private_environ(state_dir, base))

    @property
    def kafka_bootstrap(self) -> str:
        return self.config.kafka_bootstrap

    @property
    def postgres_address(self) -> str:
        return self.config.postgres_address

    @property
    def environ(self) -> dict[str, str]:
        """The environment the scripts run with (what a platform on it would read)."""
        return dict(self._env)

    async def up(self) -> None:
        await self.start_kafka()
        await self.start_postgres()

    async def down(self) -> None:
        """Stop both, even if stopping one fails (the first failure is raised)."""
        try:
            await self.stop_kafka()
        finally:
            await self.stop_postgres()

    async def start_kafka(self) -> None:
        """``kafka.sh start``, then the topics (clients never create them): returns
        once the broker answers and every topic exists (raises if either fails)."""
        await self._script("kafka", "start")
        with Display(Console(file=io.StringIO())) as display:
            await provision_topics(
                display.step("topics apply"),
                self.kafka_bootstrap,
                self._env,
                self.config.logs_dir / "topics.log",
            )

    async def stop_kafka(self) -> None:
        """``kafka.sh stop``: SIGTERM, SIGKILL after its timeout; returns once exited."""
        await self._script("kafka", "stop")

    async def start_postgres(self) -> None:
        """``postgres.sh start``: returns once ``SELECT 1`` answers and the databases exist."""
        await self._script("postgres", "start")

    async def stop_postgres(self) -> None:
        await self._script("postgres", "stop")

    async def _script(self, name: str, command: str) -> None:
        # The supervisor's script runner, on a silent display: the output goes to the
        # private state directory's logs, and a failure raises StepFailed with its tail.
        with Display(Console(file=io.StringIO())) as display:
            await run_script(
                display.step(f"{name} {command}"),
                ["bash", str(self._deploy / f"{name}.sh"), command],
                self._env,
                self.config.logs_dir / f"{name}-setup.log",
                f"{name} {command}: done",
            )
