"""``up``, ``down`` and ``status`` of the local platform.

``up``: install (``tools/bootstrap.sh``), fetch Kafka's jars and check PostgreSQL's
server binaries (in parallel, cached), start Kafka and PostgreSQL (one database and role
per service; ``deploy/local/*.sh``), provision the topics
(``python -m agora_core.topics apply``), start each service
as its own process with its log in ``<state>/logs/``, wait until each answers
``grpc.health.v1`` SERVING and its consumers own their partitions (``/readyz``), write
``<state>/platform.json`` and print the endpoints. ``down``: SIGTERM every service (they
drain and flush), SIGKILL what outlives its grace, stop Kafka and PostgreSQL, report.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.table import Table

from agora_platform import web_platform
from agora_platform.config import PlatformConfig, ServiceConfig
from agora_platform.display import Display, Step
from agora_platform.infra_steps import StepFailed as StepFailed
from agora_platform.infra_steps import provision_topics as provision_topics
from agora_platform.infra_steps import run_script as run_script
from agora_platform.infra_steps import topics_env as topics_env
from agora_platform.processes import running_pid, terminate
from agora_platform.service_processes import (
    ensure_dev_secret,
    service_log_file,
    service_pid_file,
    start_service,
)
from agora_platform.service_processes import service_env as service_env
from agora_platform.service_processes import wait_ready as wait_ready
from agora_platform.state import PlatformState, ServiceState, clear_state, write_state
from agora_platform.status_report import status as status

T = TypeVar("T")

# A service's own graceful shutdown is bounded by shutdown_grace_seconds (15 s by
# default); past this, make down kills it.
STOP_GRACE_SECONDS = 40.0


# ------------------------------------------------------------------------------- scripts


# ------------------------------------------------------------------------------ services


# ------------------------------------------------------------------------------------ up


@dataclass(frozen=True)
class UpResult:
    state: PlatformState
    seconds: float


def _link_infra_logs(config: PlatformConfig) -> None:
    """Kafka and PostgreSQL keep their logs in their own state dirs; link them
    into ``logs/`` so that every log of the platform is in one place."""
    postgres = config.state_dir / "postgres"
    if (postgres / "server").is_symlink():  # server files outside (deploy/local/postgres.sh)
        postgres = postgres / "server"
    links = {
        "kafka.log": config.state_dir / "kafka" / "logs" / "server.log",
        "postgres.log": postgres / "postgres.log",
    }
    for name, target in links.items():
        link = config.logs_dir / name
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target)


async def _web(work: Awaitable[T]) -> T:
    """The web app's steps, their failure reported like every other step's."""
    try:
        return await work
    except web_platform.WebStepFailed as error:
        raise StepFailed("web app", error.message, error.details) from None


async def up(config: PlatformConfig, console: Console) -> UpResult:
    """Bring the whole platform up; raises StepFailed naming the step that failed."""
    started = time.monotonic()
    config.logs_dir.mkdir(parents=True, exist_ok=True)
    env = config.script_env(os.environ)
    deploy = config.root / "deploy" / "local"
    logs = config.logs_dir
    with Display(console) as display:
        install = display.step("install", "uv sync from uv.lock")
        jars = display.step("Kafka jars", "checking the cache")
        binaries = display.step("PostgreSQL binaries", "looking for them")
        web_build = display.step("web app build", "checking")
        async with asyncio.TaskGroup() as group:
            web_dist = group.create_task(_web(web_platform.build(config, web_build)))
            group.create_task(
                run_script(
                    install,
                    ["bash", str(config.root / "tools" / "bootstrap.sh")],
                    env,
                    logs / "install.log",
                    "workspace in sync with uv.lock",
                )
            )
            group.create_task(
                run_script(
                    jars,
                    ["bash", str(deploy / "kafka.sh"), "fetch"],
                    env,
                    logs / "kafka-setup.log",
                    "jars cached",
                )
            )
            group.create_task(
                run_script(
                    binaries,
                    ["bash", str(deploy / "postgres.sh"), "fetch"],
                    env,
                    logs / "postgres-setup.log",
                    "server binaries present",
                )
            )
        kafka = display.step("Kafka", "starting")
        postgres = display.step("PostgreSQL", "starting")
        async with asyncio.TaskGroup() as group:
            group.create_task(
                run_script(
                    kafka,
                    ["bash", str(deploy / "kafka.sh"), "start"],
                    env,
                    logs / "kafka-setup.log",
                    f"broker on {config.kafka_bootstrap}",
                )
            )
            group.create_task(
                run_script(
                    postgres,
                    ["bash", str(deploy / "postgres.sh"), "start"],
                    env,
                    logs / "postgres-setup.log",
                    f"databases on {config.postgres_address}",
                )
            )
        await provision_topics(
            display.step("topics", "provisioning"),
            config.kafka_bootstrap,
            env,
            logs / "topics.log",
        )
        _link_infra_logs(config)
        await _web(
            web_platform.start(config, web_dist.result(), display.step("web app", "starting"))
        )
        secret = ensure_dev_secret(config)
        steps = {s.name: display.step(s.name, "starting") for s in config.services}
        pids: dict[str, int] = {}
        for service in config.services:
            pids[service.name], _ = start_service(config, service, secret, steps[service.name])
        async with asyncio.TaskGroup() as group:
            for service in config.services:
                group.create_task(
                    wait_ready(config, service, pids[service.name], steps[service.name])
                )
    state = PlatformState(
        state_dir=config.state_dir,
        kafka_bootstrap=config.kafka_bootstrap,
        dev_secret_file=config.secret_file,
        services=tuple(
            ServiceState(
                name=s.name,
                pid=pids[s.name],
                grpc_address=s.grpc_address,
                metrics_url=s.metrics_url,
                log_file=service_log_file(config, s),
            )
            for s in config.services
        ),
    )
    write_state(state)
    return UpResult(state=state, seconds=time.monotonic() - started)


def endpoints_table(config: PlatformConfig, state: PlatformState) -> Table:
    """The table ``make up`` ends with."""
    table = Table(title="Agora platform", title_style="bold")
    for column in ("service", "gRPC", "Connect", "metrics", "log file", "pid"):
        # addresses wrap on a narrow terminal rather than disappear
        table.add_column(column, no_wrap=column in ("service", "pid"), overflow="fold")
    for entry in state.services:
        table.add_row(
            entry.name,
            entry.grpc_address,
            config.service(entry.name).connect_url,
            entry.metrics_url,
            str(entry.log_file),
            str(entry.pid),
        )
    kafka_pid = _infra_pid(config.state_dir / "kafka" / "kafka.pid")
    postgres_pid = _infra_pid(config.state_dir / "postgres" / "postgres.pid")
    table.add_row(
        "Kafka", state.kafka_bootstrap, "", "", str(config.logs_dir / "kafka.log"), kafka_pid
    )
    table.add_row(
        "PostgreSQL",
        config.postgres_address,
        "",
        "",
        str(config.logs_dir / "postgres.log"),
        postgres_pid,
    )
    return table


def _infra_pid(pid_file: Path) -> str:
    with contextlib.suppress(FileNotFoundError):
        return pid_file.read_text(encoding="utf-8").strip()
    return "-"


# ---------------------------------------------------------------------------------- down


@dataclass(frozen=True)
class StopReport:
    component: str
    outcome: str
    ok: bool


async def _stop_service(config: PlatformConfig, service: ServiceConfig, step: Step) -> StopReport:
    pid = running_pid(service_pid_file(config, service), service.module, config.state_dir)
    if pid is None:
        step.done("not running")
        return StopReport(service.name, "not running", True)
    step.update(f"SIGTERM to pid {pid}, draining")
    result = await terminate(pid, STOP_GRACE_SECONDS)
    service_pid_file(config, service).unlink(missing_ok=True)
    if result.killed:
        outcome = f"pid {pid} ignored SIGTERM for {STOP_GRACE_SECONDS:.0f}s: killed"
        step.fail(outcome)
        return StopReport(service.name, outcome, False)
    outcome = f"pid {pid} exited after SIGTERM in {result.seconds:.1f}s"
    step.done(outcome)
    return StopReport(service.name, outcome, True)


async def _stop_infra(
    name: str, script: Path, env: Mapping[str, str], log: Path, step: Step
) -> StopReport:
    try:
        await run_script(step, ["bash", str(script), "stop"], env, log, "stopped")
    except StepFailed as error:
        return StopReport(name, f"{error.message}: {error.details}", False)
    return StopReport(name, "stopped", True)


async def down(config: PlatformConfig, console: Console) -> list[StopReport]:
    """Stop the services (in parallel), then Kafka and PostgreSQL; report each."""
    env = config.script_env(os.environ)
    deploy = config.root / "deploy" / "local"
    config.logs_dir.mkdir(parents=True, exist_ok=True)
    with Display(console) as display:
        steps = {s.name: display.step(s.name, "stopping") for s in config.services}
        reports = list(
            await asyncio.gather(
                *(_stop_service(config, s, steps[s.name]) for s in config.services)
            )
        )
        outcome, ok = await web_platform.stop(config, display.step("web app", "stopping"))
        reports.append(StopReport("web app", outcome, ok))
        reports += await asyncio.gather(
            _stop_infra(
                "Kafka",
                deploy / "kafka.sh",
                env,
                config.logs_dir / "kafka-setup.log",
                display.step("Kafka", "stopping"),
            ),
            _stop_infra(
                "PostgreSQL",
                deploy / "postgres.sh",
                env,
                config.logs_dir / "postgres-setup.log",
                display.step("PostgreSQL", "stopping"),
            ),
        )
    clear_state(config.state_dir)
    return reports


# -------------------------------------------------------------------------------- status
