"""Each service as its own process: its secrets and environment, its start (refused
when a port is taken), and the wait until it answers health checks and owns its
partitions."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import aiohttp

from agora_core.grpc.probe import check as health_check
from agora_platform.config import (
    LOCAL_SERVICE_DEFAULTS,
    PlatformConfig,
    ServiceConfig,
    local_web_origins,
)
from agora_platform.display import Step
from agora_platform.infra_steps import StepFailed
from agora_platform.processes import (
    STATE_DIR_MARKER,
    alive,
    log_tail,
    port_in_use,
    running_pid,
    spawn,
)


def ensure_dev_secret(config: PlatformConfig) -> str:
    """The platform's HS256 dev secret, created once (mode 600) and kept across runs."""
    config.state_dir.mkdir(parents=True, exist_ok=True)
    path = config.secret_file
    if not path.exists() or not path.read_text(encoding="utf-8").strip():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
    return path.read_text(encoding="utf-8").strip()


def ensure_badge_signing_key(config: PlatformConfig) -> str:
    """The local platform's Open Badges signing key (EC P-256, PEM), created once
    (mode 600) and kept across runs, so credentials are signed by default."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    config.state_dir.mkdir(parents=True, exist_ok=True)
    path = config.state_dir / "gamification-badge-signing-key.pem"
    if not path.exists() or not path.read_text(encoding="utf-8").strip():
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    return path.read_text(encoding="utf-8")


def service_env(
    config: PlatformConfig, service: ServiceConfig, secret: str, environ: Mapping[str, str]
) -> dict[str, str]:
    """The service's environment: the caller's, local defaults it does not set, and the
    values the platform owns (ports, broker, database, dev-mode auth)."""
    env = dict(environ)
    for name, value in LOCAL_SERVICE_DEFAULTS.get(service.name, {}).items():
        env.setdefault(name, value)
    p = service.prefix
    env.update(
        {
            f"{p}DEV_MODE": "true",
            f"{p}JWT_HS256_SECRET": secret,
            f"{p}GRPC_PORT": str(service.grpc_port),
            f"{p}HTTP_PORT": str(service.http_port),
            f"{p}CONNECT_ENABLED": "true",
            f"{p}CONNECT_PORT": str(service.connect_port),
            f"{p}KAFKA_BOOTSTRAP_SERVERS": config.kafka_bootstrap,
            # The service's own database and role (deploy/local/postgres.sh provisions them).
            f"{p}POSTGRES_DSN": config.postgres_dsn(service.name),
            # Development: the schema follows the code at every start (production runs
            # `agora-<service> migrate` first, as the Helm hook Job).
            f"{p}POSTGRES_MIGRATE_ON_START": "true",
            STATE_DIR_MARKER: str(config.state_dir),
        }
    )
    # The web app (served, or Vite's dev server) calls the local services, with tokens
    # of its local OpenID Connect provider (dev tokens stay accepted: DEV_MODE).
    env.setdefault(f"{p}CONNECT_CORS_ALLOWED_ORIGINS", local_web_origins(config.web_port))
    env.setdefault(f"{p}JWT_JWKS_URL", f"{config.web_issuer}/jwks")
    if service.public_port is not None:
        env[f"{p}PUBLIC_PORT"] = str(service.public_port)
        env.setdefault(f"{p}PUBLIC_BASE_URL", f"http://127.0.0.1:{service.public_port}")
    if service.name == "gamification":
        env.setdefault(f"{p}BADGE_SIGNING_KEY_PEM", ensure_badge_signing_key(config))
    return env


def service_pid_file(config: PlatformConfig, service: ServiceConfig) -> Path:
    return config.state_dir / f"{service.name}.pid"


def service_log_file(config: PlatformConfig, service: ServiceConfig) -> Path:
    return config.logs_dir / f"{service.name}.log"


def start_service(
    config: PlatformConfig, service: ServiceConfig, secret: str, step: Step
) -> tuple[int, bool]:
    """Spawn the service unless it already runs; returns (pid, newly started)."""
    pid = running_pid(service_pid_file(config, service), service.module, config.state_dir)
    if pid is not None:
        step.update(f"already running (pid {pid})")
        return pid, False
    ports = {
        "GRPC_PORT": service.grpc_port,
        "HTTP_PORT": service.http_port,
        "CONNECT_PORT": service.connect_port,
    }
    if service.public_port is not None:
        ports["PUBLIC_PORT"] = service.public_port
    for suffix, port in ports.items():
        if port_in_use(port):
            step.fail(f"127.0.0.1:{port} is in use")
            raise StepFailed(
                step.title,
                f"127.0.0.1:{port} is already in use by another process; "
                f"free it or set {service.prefix}{suffix}",
            )
    env = service_env(config, service, secret, os.environ)
    pid = spawn(
        Path(sys.executable),
        service.module,
        env,
        service_log_file(config, service),
        service_pid_file(config, service),
    )
    step.update(f"starting (pid {pid})")
    return pid, True


async def wait_ready(config: PlatformConfig, service: ServiceConfig, pid: int, step: Step) -> None:
    """Until the gRPC health check says SERVING and /readyz says the consumers own
    partitions; StepFailed (with the log's tail) if the process dies or time runs out."""
    log_file = service_log_file(config, service)
    deadline = time.monotonic() + config.start_timeout
    last = "starting"

    def check_alive_and_time() -> None:
        if not alive(pid):
            step.fail(f"exited during start-up; see {log_file}")
            raise StepFailed(step.title, "the process exited during start-up", log_tail(log_file))
        if time.monotonic() > deadline:
            step.fail(f"not ready after {config.start_timeout:.0f}s ({last})")
            raise StepFailed(
                step.title,
                f"not ready within {config.start_timeout:.0f}s (last state: {last}); "
                "AGORA_PLATFORM_START_TIMEOUT sets the limit",
                log_tail(log_file),
            )

    while True:
        check_alive_and_time()
        status = await health_check(service.grpc_address, timeout=2.0)
        if status == "SERVING":
            break
        last = f"gRPC {status.lower().replace('_', ' ')}"
        step.update(f"pid {pid}: {last}")
        await asyncio.sleep(0.25)
    last = "SERVING, consumers joining their Kafka groups"
    step.update(f"pid {pid}: {last}")
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as http:
        while True:
            check_alive_and_time()
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with http.get(service.ready_url) as response:
                    if response.status == 200:
                        break
            await asyncio.sleep(0.5)
    step.done(f"SERVING · ready (pid {pid})")
