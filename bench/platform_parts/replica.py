"""A second process of a service beside a running private platform, on ports of its own.

A replica that reuses one of the first process's ports fails to start with "address
already in use" (it did, on gamification's public endpoint port, when the replica's ports
were listed field by field and that one was forgotten). ``fresh_ports`` therefore
replaces *every* port the service's configuration names, whatever ports are added later.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from agora_core.testing import free_port
from agora_platform import supervisor
from agora_platform.config import PlatformConfig, ServiceConfig
from agora_platform.display import Display
from agora_platform.processes import spawn

PORT_SUFFIX = "_port"


def port_fields(service: ServiceConfig) -> tuple[str, ...]:
    """The names of the ports a process of ``service`` listens on (those it has)."""
    return tuple(
        name
        for name in type(service).model_fields
        if name.endswith(PORT_SUFFIX) and getattr(service, name) is not None
    )


def fresh_ports(service: ServiceConfig, pick: Callable[[], int] = free_port) -> ServiceConfig:
    """``service`` with a new port (``pick()``) for every port it listens on."""
    return service.model_copy(update={name: pick() for name in port_fields(service)})


async def start_replica(
    config: PlatformConfig, name: str, secret: str, console: Console
) -> tuple[ServiceConfig, int]:
    """A second process of ``name`` in the same consumer group, every port its own.

    Its public endpoint (gamification's issuer profile and credentials), if it has one,
    listens on its own port but advertises the first process's base URL: behind a load
    balancer both replicas answer for one public address, and a credential must name the
    same issuer whichever replica issued it.
    """
    first = config.service(name)
    replica = fresh_ports(first)
    env = supervisor.service_env(config, replica, secret, os.environ)
    if first.public_port is not None:
        shared = supervisor.service_env(config, first, secret, os.environ)
        env[f"{first.prefix}PUBLIC_BASE_URL"] = shared[f"{first.prefix}PUBLIC_BASE_URL"]
    pid = spawn(
        Path(sys.executable),
        replica.module,
        env,
        config.logs_dir / f"{name}-2.log",
        config.state_dir / f"{name}-2.pid",
    )
    with Display(console) as display:
        await supervisor.wait_ready(config, replica, pid, display.step(f"{name} #2"))
    return replica, pid
