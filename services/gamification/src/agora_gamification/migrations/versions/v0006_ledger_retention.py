"""Ledger retention by tenant policy (``domain/retention.py``).

- ``tenant_config.ledger_retention_days``: the tenant setting (0 = keep every entry).
- ``ledger_retention``: the purger's cross-tenant view of the tenants that set a
  retention (ids and numbers only, no row-level security, like ``challenge_deadlines``),
  written in the transaction that stores the setting. Its row is also the purge's
  per-tenant claim (``FOR UPDATE SKIP LOCKED``: two replicas never purge one tenant at
  once) and records the horizon of the last complete purge.
- ``ledger_age``: serves the purge's search for learners with entries older than the
  horizon, oldest first, without the carried entries (a learner whose only old entry is
  its carried one has nothing to purge).
"""

from __future__ import annotations

from typing import Final

from alembic import op

revision = "0006"
down_revision = "0005"

STATEMENTS: Final = (
    "ALTER TABLE tenant_config ADD COLUMN ledger_retention_days integer NOT NULL DEFAULT 0",
    """
    CREATE TABLE ledger_retention (
        tenant_id text PRIMARY KEY,
        retention_days integer NOT NULL CHECK (retention_days > 0),
        purged_before timestamptz,
        purged_at timestamptz
    )""",
    "CREATE INDEX ledger_age ON ledger (tenant_id, awarded_at, learner_id) "
    "WHERE rule_id <> 'carried-forward'",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)
