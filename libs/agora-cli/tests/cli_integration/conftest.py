"""The four services in-process on free ports (real gRPC, Kafka, PostgreSQL), and a way
to run the real ``agora`` command against them.

The CLI runs through typer's ``CliRunner`` in a worker thread: it starts its own
event loop there (as it does in a terminal) while the services keep serving on the
test's loop. ``CliRunner`` swaps ``sys.stdout`` for the duration of a command, so the
services' structlog output is pinned to the real stderr meanwhile, or a service
logging during a command would end up inside the command's JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import structlog
from typer.testing import CliRunner

from agora_catalog.bootstrap import build as build_catalog
from agora_catalog.settings import CatalogSettings
from agora_cli.app import app
from agora_cli.config import Service
from agora_community.bootstrap import build as build_community
from agora_community.settings import CommunitySettings
from agora_contracts.events.schemas import load_platform_events
from agora_core.runtime import ServiceRuntime
from agora_core.settings import ServiceSettings
from agora_core.testing.event_tap import start_group_at_end
from agora_core.testing.grpc_assertions import DEV_SECRET
from agora_core.testing.postgres import (
    create_test_database,
    drop_test_database,
    scratch_database,
)
from agora_core.testing.service_harness import running_service, test_settings
from agora_gamification.bootstrap import build as build_gamification
from agora_gamification.settings import GamificationSettings
from agora_notifications.bootstrap import build as build_notifications
from agora_notifications.settings import NotificationsSettings

OPERATOR_TENANT = "ops"
RUNNER = CliRunner()


@dataclass(frozen=True)
class CliResult:
    """What one ``agora`` command did."""

    argv: Sequence[str]
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.exit_code == 0, f"agora {' '.join(self.argv)} failed: {self}"
        return json.loads(self.stdout)

    def json_lines(self) -> list[Any]:
        assert self.exit_code == 0, f"agora {' '.join(self.argv)} failed: {self}"
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def error(self) -> Any:
        """The JSON error document a failing ``--json`` command printed on stderr."""
        assert self.exit_code != 0, f"expected a failure, got {self}"
        return json.loads(self.stderr)


@dataclass(frozen=True)
class Platform:
    """The running services and the broker."""

    runtimes: dict[Service, ServiceRuntime]
    kafka: str

    def endpoint_args(self) -> list[str]:
        args = ["--kafka", self.kafka, "--timeout", "60"]
        for service, runtime in self.runtimes.items():
            args += [f"--{service.value}", f"127.0.0.1:{runtime.grpc_port}"]
        return args

    async def agora(
        self,
        *args: str,
        tenant: str,
        user: str = "u-ada",
        roles: str = "learner",
        json_output: bool = True,
    ) -> CliResult:
        """Run ``agora [globals] ARGS`` as this caller (a dev token minted by the CLI)."""
        argv = [
            *self.endpoint_args(),
            "--tenant",
            tenant,
            "--user",
            user,
            "--roles",
            roles,
            *(["--json"] if json_output else []),
            *args,
        ]
        result = await asyncio.to_thread(
            RUNNER.invoke, app, argv, env={"AGORA_JWT_HS256_SECRET": DEV_SECRET, "COLUMNS": "200"}
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(argv, result.exit_code, result.stdout, result.stderr)


@contextlib.contextmanager
def structlog_pinned_to_stderr() -> Any:
    previous = structlog.get_config()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.__stderr__))
    try:
        yield
    finally:
        structlog.configure(**previous)


@pytest.fixture(scope="module")
async def platform(kafka_bootstrap: str, postgres_admin_dsn: str) -> AsyncIterator[Platform]:
    run = uuid.uuid4().hex[:8]
    # Community is on PostgreSQL: a database of its own on the test server.
    community_database, community_dsn = await create_test_database(
        postgres_admin_dsn, prefix="cli_community"
    )
    topics = load_platform_events().topics()
    builds: dict[Service, tuple[type[ServiceSettings], Any, dict[str, object]]] = {
        Service.CATALOG: (CatalogSettings, build_catalog, {}),
        Service.COMMUNITY: (CommunitySettings, build_community, {"postgres_dsn": community_dsn}),
        Service.GAMIFICATION: (GamificationSettings, build_gamification, {}),
        Service.NOTIFICATIONS: (NotificationsSettings, build_notifications, {"public_port": 0}),
    }
    with structlog_pinned_to_stderr():
        async with contextlib.AsyncExitStack() as stack:
            runtimes: dict[Service, ServiceRuntime] = {}
            # Services on PostgreSQL get a database of their own.
            for on_postgres in (Service.CATALOG, Service.GAMIFICATION, Service.NOTIFICATIONS):
                builds[on_postgres][2]["postgres_dsn"] = await stack.enter_async_context(
                    scratch_database(postgres_admin_dsn, f"cli_{on_postgres.value[:4]}_{run}")
                )
            for service, (settings_cls, build, extra) in builds.items():
                settings: ServiceSettings = test_settings(
                    settings_cls,
                    kafka=kafka_bootstrap,
                    consumer_group=f"agora-{service.value}-cli-{run}",
                    operator_tenant=OPERATOR_TENANT,
                    **extra,
                )
                # Only what this module publishes, not the broker's whole history.
                await start_group_at_end(kafka_bootstrap, settings.group_id, topics)
                runtimes[service] = await stack.enter_async_context(
                    running_service(build, settings)
                )
            yield Platform(runtimes, kafka_bootstrap)
    await drop_test_database(postgres_admin_dsn, community_database)
