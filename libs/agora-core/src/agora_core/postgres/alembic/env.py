"""The Alembic environment every service shares (online mode only).

The DSN comes from ``config.attributes["dsn"]`` (set by agora_core.postgres.migrations),
any libpq form (URL or key=value), through the same psycopg driver as the service.
"""

from __future__ import annotations

import psycopg
from alembic import context
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

# One lock id for "migrating this database": concurrent migrators wait for each other.
_MIGRATION_LOCK = 7_262_021


def run_migrations_online() -> None:
    dsn = str(context.config.attributes["dsn"])
    engine = create_engine(
        "postgresql+psycopg://", creator=lambda: psycopg.connect(dsn), poolclass=NullPool
    )
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=None)
            with context.begin_transaction():
                connection.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"))
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("agora migrations run online only: they need the database's state")
run_migrations_online()
