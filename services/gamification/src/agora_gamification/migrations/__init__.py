"""The gamification database's schema migrations (Alembic; `agora-gamification migrate`)."""

from pathlib import Path

from agora_core.postgres.migrations import Migrations

MIGRATIONS = Migrations(Path(__file__).resolve().parent / "versions")
