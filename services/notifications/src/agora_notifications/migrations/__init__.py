"""The notifications database's schema migrations (Alembic; `agora-notifications migrate`)."""

from pathlib import Path

from agora_core.postgres.migrations import Migrations

MIGRATIONS = Migrations(Path(__file__).resolve().parent / "versions")
