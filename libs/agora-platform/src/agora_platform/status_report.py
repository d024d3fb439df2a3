"""``status`` of the local platform: which component runs, with its pid and address."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from agora_core.grpc.probe import check as health_check
from agora_platform import web_platform
from agora_platform.config import PlatformConfig, ServiceConfig
from agora_platform.processes import running_pid
from agora_platform.service_processes import service_pid_file


@dataclass(frozen=True)
class ComponentStatus:
    component: str
    running: bool
    detail: str
    address: str


async def _infra_status(
    name: str, script: Path, env: Mapping[str, str], address: str
) -> ComponentStatus:
    process = await asyncio.create_subprocess_exec(
        "bash",
        str(script),
        "status",
        env=dict(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    text = out.decode("utf-8", errors="replace").strip().splitlines()
    return ComponentStatus(name, process.returncode == 0, text[-1] if text else "", address)


async def _service_status(config: PlatformConfig, service: ServiceConfig) -> ComponentStatus:
    pid = running_pid(service_pid_file(config, service), service.module, config.state_dir)
    if pid is None:
        return ComponentStatus(service.name, False, "not running", service.grpc_address)
    health = await health_check(service.grpc_address, timeout=2.0)
    return ComponentStatus(
        service.name, health == "SERVING", f"pid {pid}, gRPC {health}", service.grpc_address
    )


async def status(config: PlatformConfig) -> list[ComponentStatus]:
    """Every component's state (Kafka and PostgreSQL from their scripts,
    services probed)."""
    env = config.script_env(os.environ)
    deploy = config.root / "deploy" / "local"
    web_running, web_detail = web_platform.status(config)
    web = ComponentStatus("web app", web_running, web_detail, config.web_url)
    others = list(
        await asyncio.gather(
            _infra_status("Kafka", deploy / "kafka.sh", env, config.kafka_bootstrap),
            _infra_status("PostgreSQL", deploy / "postgres.sh", env, config.postgres_address),
            *(_service_status(config, s) for s in config.services),
        )
    )
    return [web, *others]
