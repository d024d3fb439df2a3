"""Where the local platform lives and listens, read from the environment.

Every port and the state directory can be overridden, so a test can run a second
platform beside the developer's: ``AGORA_LOCAL_DIR``, ``AGORA_KAFKA_PORT``,
``AGORA_KAFKA_CONTROLLER_PORT``, ``AGORA_POSTGRES_PORT``, ``AGORA_WEB_PORT``,
``AGORA_WEB_OIDC_PORT`` (the web app and its local OpenID Connect provider) and, per
service, the variables the service itself reads
(``AGORA_<SVC>_GRPC_PORT``, ``AGORA_<SVC>_HTTP_PORT``, ``AGORA_<SVC>_CONNECT_PORT``, and
``AGORA_<SVC>_PUBLIC_PORT`` for gamification and notifications), so the supervisor and the
process it starts always agree.

The test suite's infrastructure (``make test``, ``make infra-up``) is not this: it has
its own state directory and ports (``agora_platform.testenv``, ``tools/test-env.sh``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SERVICE_NAMES = ("catalog", "community", "gamification", "notifications")
"""Start order; each is ``python -m agora_<name>`` and reads ``AGORA_<NAME>_*``."""

DEFAULT_PORTS: dict[str, tuple[int, int]] = {
    "catalog": (50051, 9101),
    "community": (50052, 9102),
    "gamification": (50053, 9103),
    "notifications": (50054, 9104),
}
DEFAULT_CONNECT_PORTS: dict[str, int] = {
    # Connect and gRPC-Web for browsers (the same ports as the images and the chart).
    "catalog": 8081,
    "community": 8082,
    "gamification": 8083,
    "notifications": 8084,
}
DEFAULT_PUBLIC_PORTS: dict[str, int] = {
    "gamification": 9203,  # Open Badges credential status and issuer profile
    "notifications": 9204,  # unsubscribe links
}

DEFAULT_KAFKA_PORT = 19092
DEFAULT_KAFKA_CONTROLLER_PORT = 19093
DEFAULT_POSTGRES_PORT = 15432
WEB_PEOPLE_FILE = "web-people.json"
"""In the state directory: who may sign in to the web app (``make demo`` writes it)."""
DEFAULT_WEB_PORT = 5180
"""The web app (``apps/web``), served by ``python -m agora_platform.web_server``."""
DEFAULT_WEB_OIDC_PORT = 9400
"""The web app's local OpenID Connect provider (its issuer is ``http://127.0.0.1:<port>``)."""

# Local-platform defaults for the notifications scheduler, so that relaunch reminders
# are observable within a minute (production defaults: 72 h and 30 s). Each is only a
# default: the same variable in the caller's environment wins.
LOCAL_SERVICE_DEFAULTS: dict[str, dict[str, str]] = {
    "notifications": {
        "AGORA_NOTIFICATIONS_REMINDER_INACTIVITY_HOURS": "0.01",
        "AGORA_NOTIFICATIONS_SCHEDULER_INTERVAL_SECONDS": "2",
    },
}


def local_web_origins(web_port: int) -> str:
    """Origins the local services accept browser calls from: the served web app and a
    Vite dev server (its default port), as a JSON list."""
    return json.dumps(
        [
            f"http://{host}:{port}"
            for port in (web_port, 5173)
            for host in ("127.0.0.1", "localhost")
        ]
    )


class ConfigurationError(Exception):
    """An environment variable holds a value the platform cannot use."""


class ServiceConfig(BaseModel):
    """One service process: its ports and the variable prefix it reads."""

    model_config = ConfigDict(frozen=True)

    name: str
    grpc_port: int = Field(ge=1, le=65535)
    http_port: int = Field(ge=1, le=65535)
    connect_port: int = Field(ge=1, le=65535)
    public_port: int | None = Field(default=None, ge=1, le=65535)

    @property
    def prefix(self) -> str:
        return f"AGORA_{self.name.upper()}_"

    @property
    def module(self) -> str:
        return f"agora_{self.name}"

    @property
    def grpc_address(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def connect_url(self) -> str:
        return f"http://127.0.0.1:{self.connect_port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/metrics"

    @property
    def ready_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/readyz"


class PlatformConfig(BaseModel):
    """Everything the supervisor needs to know, resolved once from the environment."""

    model_config = ConfigDict(frozen=True)

    root: Path
    state_dir: Path
    kafka_port: int = Field(ge=1, le=65535)
    kafka_controller_port: int = Field(ge=1, le=65535)
    postgres_port: int = Field(ge=1, le=65535)
    web_port: int = Field(default=DEFAULT_WEB_PORT, ge=1, le=65535)
    web_oidc_port: int = Field(default=DEFAULT_WEB_OIDC_PORT, ge=1, le=65535)
    services: tuple[ServiceConfig, ...]
    start_timeout: float = Field(gt=0)

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def secret_file(self) -> Path:
        return self.state_dir / "dev-jwt-secret"

    @property
    def state_file(self) -> Path:
        return self.state_dir / "platform.json"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def web_issuer(self) -> str:
        return f"http://127.0.0.1:{self.web_oidc_port}"

    @property
    def web_people_file(self) -> Path:
        """Who may sign in to the web app (``make demo`` writes its tenant's people)."""
        return self.state_dir / WEB_PEOPLE_FILE

    @property
    def kafka_bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def postgres_address(self) -> str:
        return f"127.0.0.1:{self.postgres_port}"

    def postgres_dsn(self, service: str) -> str:
        """``service``'s own database and login role, as ``deploy/local/postgres.sh``
        provisions them (development passwords, loopback only)."""
        return (
            f"postgresql://agora_{service}:agora-local-{service}@{self.postgres_address}"
            f"/agora_{service}"
        )

    def service(self, name: str) -> ServiceConfig:
        for service in self.services:
            if service.name == name:
                return service
        raise KeyError(name)

    def script_env(self, environ: Mapping[str, str]) -> dict[str, str]:
        """The environment of ``deploy/local/*.sh``: the caller's plus the resolved ports.

        Kafka gets the platform's start timeout unless the caller set its own: on a
        loaded machine the broker can take longer than kafka.sh's 60 s default.
        """
        return {
            "AGORA_KAFKA_START_TIMEOUT": str(round(self.start_timeout)),
            **environ,
            "AGORA_LOCAL_DIR": str(self.state_dir),
            "AGORA_KAFKA_PORT": str(self.kafka_port),
            "AGORA_KAFKA_CONTROLLER_PORT": str(self.kafka_controller_port),
            "AGORA_POSTGRES_PORT": str(self.postgres_port),
        }


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r}: expected a port number") from None


def installed_services(root: Path) -> tuple[str, ...]:
    """The services that exist in this checkout, in start order."""
    return tuple(n for n in SERVICE_NAMES if (root / "services" / n / "pyproject.toml").is_file())


def load_config(root: Path, environ: Mapping[str, str]) -> PlatformConfig:
    """Resolve the platform's layout from ``environ`` (raises ConfigurationError)."""
    services = []
    for name in installed_services(root):
        grpc_default, http_default = DEFAULT_PORTS[name]
        prefix = f"AGORA_{name.upper()}_"
        public = (
            _int(environ, f"{prefix}PUBLIC_PORT", DEFAULT_PUBLIC_PORTS[name])
            if name in DEFAULT_PUBLIC_PORTS
            else None
        )
        services.append(
            {
                "name": name,
                "grpc_port": _int(environ, f"{prefix}GRPC_PORT", grpc_default),
                "http_port": _int(environ, f"{prefix}HTTP_PORT", http_default),
                "connect_port": _int(environ, f"{prefix}CONNECT_PORT", DEFAULT_CONNECT_PORTS[name]),
                "public_port": public,
            }
        )
    timeout_raw = environ.get("AGORA_PLATFORM_START_TIMEOUT", "").strip() or "240"
    try:
        return PlatformConfig.model_validate(
            {
                "root": root,
                "state_dir": Path(
                    environ.get("AGORA_LOCAL_DIR") or root / ".agora-local"
                ).absolute(),
                "kafka_port": _int(environ, "AGORA_KAFKA_PORT", DEFAULT_KAFKA_PORT),
                "kafka_controller_port": _int(
                    environ, "AGORA_KAFKA_CONTROLLER_PORT", DEFAULT_KAFKA_CONTROLLER_PORT
                ),
                "postgres_port": _int(environ, "AGORA_POSTGRES_PORT", DEFAULT_POSTGRES_PORT),
                "web_port": _int(environ, "AGORA_WEB_PORT", DEFAULT_WEB_PORT),
                "web_oidc_port": _int(environ, "AGORA_WEB_OIDC_PORT", DEFAULT_WEB_OIDC_PORT),
                "services": services,
                "start_timeout": timeout_raw,
            }
        )
    except ValidationError as error:
        raise ConfigurationError(str(error)) from None
