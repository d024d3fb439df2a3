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
import secrets
import sys
import time
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import aiohttp
from rich.console import Console
from rich.table import Table

from agora_core.grpc.probe import check as health_check
from agora_platform import web_platform
from agora_platform.config import (
    LOCAL_SERVICE_DEFAULTS,
    PlatformConfig,
    ServiceConfig,
    local_web_origins,
)
from agora_platform.display import Display, Step
from agora_platform.processes import (
    STATE_DIR_MARKER,
    alive,
    log_tail,
    port_in_use,
    running_pid,
    spawn,
    terminate,
)
from agora_platform.state import PlatformState, ServiceState, clear_state, write_state

T = TypeVar("T")

# A service's own graceful shutdown is bounded by shutdown_grace_seconds (15 s by
# default); past this, make down kills it.
STOP_GRACE_SECONDS = 40.0


class StepFailed(Exception):
    """A step of ``up`` failed; ``details`` says what to look at."""

    def __init__(self, step: str, message: str, details: str = "") -> None:
        super().__init__(f"{step}: {message}")
        self.step = step
        self.message = message
        self.details = details


# ------------------------------------------------------------------------------- scripts


async def run_script(
    step: Step, argv: Sequence[str], env: Mapping[str, str], log_file: Path, done: str
) -> None:
    """Run a deploy script, streaming its output to ``log_file`` and its last line to
    the display; StepFailed (with the output's tail) if it exits non-zero."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    process = await asyncio.create_subprocess_exec(
        *argv,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    try:
        with log_file.open("a", encoding="utf-8") as log:
            log.write(f"=== {time.strftime('%Y-%m-%dT%H:%M:%S')} {' '.join(argv)}\n")
            async for raw in process.stdout:
                line = raw.decode("utf-8", errors="replace").rstrip()
                log.write(line + "\n")
                log.flush()
                if line.strip():
                    step.update(line)
        code = await process.wait()
    except asyncio.CancelledError:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        await process.wait()
        raise
    if code != 0:
        step.fail(f"failed (exit {code}); see {log_file}")
        raise StepFailed(step.title, f"exit {code}", log_tail(log_file, 25))
    step.done(done)


def topics_env(environ: Mapping[str, str], kafka_bootstrap: str) -> dict[str, str]:
    """The environment of ``python -m agora_core.topics`` against the local broker.

    The local broker's client port is PLAINTEXT; ``AGORA_KAFKA_SASL_*`` there name the
    user of kafka.sh's test listener, not a login of this client, so they are dropped.
    """
    env = {k: v for k, v in environ.items() if not k.startswith("AGORA_KAFKA_SASL_")}
    env["AGORA_KAFKA_BOOTSTRAP_SERVERS"] = kafka_bootstrap
    env["AGORA_KAFKA_SECURITY_PROTOCOL"] = "PLAINTEXT"
    return env


async def provision_topics(
    step: Step, kafka_bootstrap: str, environ: Mapping[str, str], log_file: Path
) -> None:
    """``python -m agora_core.topics apply``: clients never create topics, so every
    registry topic and its ``.dlq`` exist before a service starts."""
    await run_script(
        step,
        [sys.executable, "-m", "agora_core.topics", "apply"],
        topics_env(environ, kafka_bootstrap),
        log_file,
        "every topic provisioned",
    )


# ------------------------------------------------------------------------------ services


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


def _pid_file(config: PlatformConfig, service: ServiceConfig) -> Path:
    return config.state_dir / f"{service.name}.pid"


def _log_file(config: PlatformConfig, service: ServiceConfig) -> Path:
    return config.logs_dir / f"{service.name}.log"


def start_service(
    config: PlatformConfig, service: ServiceConfig, secret: str, step: Step
) -> tuple[int, bool]:
    """Spawn the service unless it already runs; returns (pid, newly started)."""
    pid = running_pid(_pid_file(config, service), service.module, config.state_dir)
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
        _log_file(config, service),
        _pid_file(config, service),
    )
    step.update(f"starting (pid {pid})")
    return pid, True


async def wait_ready(config: PlatformConfig, service: ServiceConfig, pid: int, step: Step) -> None:
    """Until the gRPC health check says SERVING and /readyz says the consumers own
    partitions; StepFailed (with the log's tail) if the process dies or time runs out."""
    log_file = _log_file(config, service)
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
                log_file=_log_file(config, s),
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
    pid = running_pid(_pid_file(config, service), service.module, config.state_dir)
    if pid is None:
        step.done("not running")
        return StopReport(service.name, "not running", True)
    step.update(f"SIGTERM to pid {pid}, draining")
    result = await terminate(pid, STOP_GRACE_SECONDS)
    _pid_file(config, service).unlink(missing_ok=True)
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
    pid = running_pid(_pid_file(config, service), service.module, config.state_dir)
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
