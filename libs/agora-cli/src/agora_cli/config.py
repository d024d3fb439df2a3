"""What every command knows: who the caller is, where the services are, how to print.

Built once from the global options (``agora --tenant … COMMAND``) or their
environment variables, and handed to commands as ``ctx.obj``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from agora_cli.connections import GrpcTls

SECRET_ENV: Final = "AGORA_JWT_HS256_SECRET"  # noqa: S105 - a variable name
LOCAL_STATE_ENV: Final = "AGORA_LOCAL_DIR"
LOCAL_STATE_DIR: Final = ".agora-local"
SECRET_FILE: Final = "dev-jwt-secret"  # noqa: S105 - a file name


class Service(StrEnum):
    """The four services, in the order of their local ports (50051 to 50054)."""

    CATALOG = "catalog"
    COMMUNITY = "community"
    GAMIFICATION = "gamification"
    NOTIFICATIONS = "notifications"

    @property
    def default_endpoint(self) -> str:
        return f"127.0.0.1:{50051 + list(Service).index(self)}"

    @property
    def endpoint_env(self) -> str:
        return f"AGORA_{self.name}_ENDPOINT"


class CliUsageError(Exception):
    """Something the user must fix in how the command was called (exit code 2)."""


@dataclass(frozen=True)
class CliConfig:
    """The global options, resolved."""

    tenant: str
    user: str
    roles: tuple[str, ...]
    token: str | None
    json: bool
    endpoints: dict[Service, str]
    kafka: str
    timeout: float
    secret_search_from: Path = field(default_factory=Path.cwd)
    grpc_tls: GrpcTls | None = None
    """TLS towards the services (None: plaintext, for a local platform)."""

    def endpoint(self, service: Service) -> str:
        return self.endpoints[service]

    def bearer_token(self) -> str:
        """``--token``/``AGORA_TOKEN`` as given, else a development token for
        ``--user``/``--tenant``/``--roles`` signed with the local dev secret."""
        if self.token:
            return self.token
        # Imported on use: the token machinery is the heaviest import of the CLI.
        from agora_core.grpc.dev_tokens import mint_dev_token

        return mint_dev_token(
            dev_secret(self.secret_search_from), self.user, self.tenant, self.roles
        )


def dev_secret(search_from: Path | None = None) -> str:
    """The HS256 secret of services running in dev mode.

    ``AGORA_JWT_HS256_SECRET``, else ``$AGORA_LOCAL_DIR/dev-jwt-secret``, else the
    ``.agora-local/dev-jwt-secret`` that ``make up`` wrote in this directory or the
    nearest parent (the repository root).
    """
    secret = os.environ.get(SECRET_ENV, "").strip()
    if secret:
        return secret
    candidates: list[Path] = []
    if os.environ.get(LOCAL_STATE_ENV):
        candidates.append(Path(os.environ[LOCAL_STATE_ENV]) / SECRET_FILE)
    start = (search_from or Path.cwd()).resolve()
    candidates += [d / LOCAL_STATE_DIR / SECRET_FILE for d in (start, *start.parents)]
    for path in candidates:
        if path.is_file() and path.read_text().strip():
            return path.read_text().strip()
    raise CliUsageError(
        f"no token: pass --token (or set AGORA_TOKEN), or set {SECRET_ENV}, "
        f"or run `make up` so {LOCAL_STATE_DIR}/{SECRET_FILE} exists"
    )


def parse_roles(roles: str) -> tuple[str, ...]:
    """``"learner, admin"`` → ``("learner", "admin")``."""
    return tuple(r.strip() for r in roles.split(",") if r.strip())
