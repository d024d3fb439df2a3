"""``<state>/platform.json``: what ``make up`` started, for ``make down`` and for clients.

Clients (``make demo``, the ``agora`` CLI) read the endpoints and the dev secret from
here instead of guessing ports, so a platform started on other ports is found too.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict

STATE_FILE_NAME = "platform.json"


class ServiceState(BaseModel):
    """One running service process."""

    model_config = ConfigDict(frozen=True)

    name: str
    pid: int
    grpc_address: str
    metrics_url: str
    log_file: Path


class PlatformState(BaseModel):
    """The running platform as its supervisor last wrote it."""

    model_config = ConfigDict(frozen=True)

    state_dir: Path
    kafka_bootstrap: str
    dev_secret_file: Path
    services: tuple[ServiceState, ...]

    def address(self, service: str) -> str:
        """``host:port`` of ``service``'s gRPC API (KeyError if it is not running)."""
        for entry in self.services:
            if entry.name == service:
                return entry.grpc_address
        raise KeyError(service)

    def dev_secret(self) -> str:
        """The HS256 secret every service of this platform accepts in dev mode."""
        return self.dev_secret_file.read_text(encoding="utf-8").strip()


class PlatformNotRunning(Exception):
    """No platform.json in the state directory: ``make up`` has not run (or ``make down`` did)."""


def default_state_dir(root: Path | None = None) -> Path:
    """``$AGORA_LOCAL_DIR``, else ``<repo>/.agora-local`` (``root`` defaults to the cwd)."""
    configured = os.environ.get("AGORA_LOCAL_DIR")
    if configured:
        return Path(configured).absolute()
    return ((root or Path.cwd()) / ".agora-local").absolute()


def write_state(state: PlatformState) -> None:
    """Write atomically (rename), so a reader never sees half a file."""
    target = state.state_dir / STATE_FILE_NAME
    partial = target.with_suffix(".json.partial")
    partial.write_text(state.model_dump_json(indent=2) + "\n", encoding="utf-8")
    partial.replace(target)


def read_state(state_dir: Path) -> PlatformState:
    """The platform running from ``state_dir`` (raises PlatformNotRunning)."""
    path = state_dir / STATE_FILE_NAME
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlatformNotRunning(
            f"no platform is running from {state_dir} ({path} is missing): run `make up` first"
        ) from None
    return PlatformState.model_validate_json(raw)


def clear_state(state_dir: Path) -> None:
    (state_dir / STATE_FILE_NAME).unlink(missing_ok=True)
