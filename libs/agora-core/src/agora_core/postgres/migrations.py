"""Schema migrations with Alembic: each service keeps its versions, the environment is
shared (``agora_core/postgres/alembic/env.py``).

``python -m agora_<service> migrate`` (and the Helm pre-upgrade Job) runs
:func:`upgrade`; in development the runtime runs it at start when
``POSTGRES_MIGRATE_ON_START`` is set. Concurrent runs are safe: the environment takes
a transaction-level advisory lock, and all pending migrations run in one transaction
(PostgreSQL's DDL is transactional), so a failed upgrade leaves the old schema whole.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

ENVIRONMENT = Path(__file__).resolve().parent / "alembic"


@dataclass(frozen=True)
class Migrations:
    """Where a service's migration scripts live (a ``versions`` directory)."""

    versions: Path

    @classmethod
    def of_package(cls, package_file: str) -> Migrations:
        """The ``migrations/versions`` directory next to a package's ``__init__``."""
        return cls(Path(package_file).resolve().parent / "migrations" / "versions")

    def config(self, dsn: str) -> Config:
        config = Config()
        config.set_main_option("path_separator", "os")
        config.set_main_option("script_location", str(ENVIRONMENT))
        config.set_main_option("version_locations", str(self.versions))
        # Not a main option: those are interpolated, and a password may hold a '%'.
        config.attributes["dsn"] = dsn
        return config


# Alembic keeps its running environment in module globals: one upgrade at a time per
# process (processes exclude each other with the advisory lock in env.py).
_IN_PROCESS = threading.Lock()


def upgrade(migrations: Migrations, dsn: str, revision: str = "head") -> None:
    """Bring the database to ``revision`` (blocking; see :func:`upgrade_async`)."""
    with _IN_PROCESS:
        command.upgrade(migrations.config(dsn), revision)


async def upgrade_async(migrations: Migrations, dsn: str, revision: str = "head") -> None:
    """:func:`upgrade` in a worker thread, for callers inside the event loop."""
    await asyncio.to_thread(upgrade, migrations, dsn, revision)


def current_revision(dsn: str) -> str | None:
    """The revision the database is at (None before the first migration)."""
    engine = create_engine(
        "postgresql+psycopg://", creator=lambda: psycopg.connect(dsn), poolclass=NullPool
    )
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
