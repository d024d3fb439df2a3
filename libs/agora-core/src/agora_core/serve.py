"""The body of every service's ``__main__`` (:func:`serve`): settings, logging, tracing,
then either the runtime the service builds or the ``migrate`` command."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import structlog
from pydantic import ValidationError

from agora_core.logging import configure_logging
from agora_core.messaging.events import schema_base_url
from agora_core.postgres.migrations import Migrations, upgrade
from agora_core.runtime import ServiceRuntime, StartupFailed
from agora_core.settings import ConfigError, ServiceSettings, load_settings
from agora_core.tracing.setup import TracingConfigError, configure_tracing

log = structlog.get_logger(__name__)

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def serve(
    settings_cls: type[SettingsT],
    build: Callable[[SettingsT], Awaitable[ServiceRuntime]],
    *,
    migrations: Migrations,
) -> NoReturn:
    """The body of every service's ``__main__``: settings, logging, tracing (from
    ``OTEL_*``, off by default), build, run.

    ``python -m agora_<service> migrate`` runs the schema migrations to head and exits
    instead (the Helm pre-upgrade Job, Compose's migrate step). Invalid configuration
    stops start-up with exit code 2 and a message naming each variable; the runtime is
    built inside the event loop (grpc.aio needs one).
    """
    try:
        settings = load_settings(settings_cls)
    except ConfigError as error:
        print(f"agora: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.service_name, settings.log_level)
    try:
        tracing = configure_tracing(settings.service_name)
        schema_base_url()  # AGORA_EVENTS_SCHEMA_BASE_URL checked now, not at the first event
    except (TracingConfigError, ValidationError) as error:
        print(f"agora: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    command = sys.argv[1:]
    if command == ["migrate"]:
        raise SystemExit(run_migrations(settings, migrations))
    if command:
        print(f"agora: unknown command {' '.join(command)!r} (known: migrate)", file=sys.stderr)
        raise SystemExit(2)

    async def main() -> None:
        runtime = await build(settings)
        await runtime.run()

    try:
        asyncio.run(main())
    except StartupFailed:
        raise SystemExit(1) from None
    finally:
        tracing.shutdown()  # export the spans still queued
    raise SystemExit(0)


def run_migrations(settings: ServiceSettings, migrations: Migrations) -> int:
    """The ``migrate`` command: exit code 0 when the schema is at head."""
    log.info("migrating", service=settings.service_name, versions=str(migrations.versions))
    try:
        upgrade(migrations, settings.postgres_dsn.get_secret_value())
    except Exception as error:
        # The DSN is never logged (it holds the password); the driver's message names
        # the host and what failed.
        log.error("migration failed", error=repr(error)[:1000])
        return 1
    log.info("schema at head", service=settings.service_name)
    return 0
