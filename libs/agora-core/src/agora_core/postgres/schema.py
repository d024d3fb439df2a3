"""The schema pieces every service database has, as SQL its migrations run.

A service's first migration calls :func:`core_schema_statements`; each of its tenant
tables then gets :func:`tenant_isolation_statements`. Row-level security is the second
wall behind the repositories' own ``tenant_id`` conditions: a query on a tenant table
in a transaction that set no tenant fails instead of reading every tenant's rows.
"""

from __future__ import annotations

import re
from typing import Final

from alembic import op

from agora_core.postgres.unit_of_work import OUTBOX_LANES, TENANT_SETTING

_IDENTIFIER: Final = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

TENANT_FUNCTION: Final = f"""
CREATE OR REPLACE FUNCTION agora_tenant() RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    tenant text := current_setting('{TENANT_SETTING}', true);
BEGIN
    IF tenant IS NULL OR tenant = '' THEN
        RAISE EXCEPTION 'no tenant in scope: this query must run in a unit of work with a tenant'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN tenant;
END
$$
"""

# Column names follow Debezium's outbox event router (id, aggregatetype, aggregateid,
# type, payload), so CDC can replace our relay; see docs/messaging.md.
OUTBOX_TABLE: Final = f"""
CREATE TABLE outbox (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id uuid NOT NULL UNIQUE,
    aggregatetype text NOT NULL,
    aggregateid text NOT NULL,
    type text NOT NULL,
    payload jsonb NOT NULL,
    headers jsonb NOT NULL,
    tenant_id text NOT NULL,
    lane smallint NOT NULL CHECK (lane >= 0 AND lane < {OUTBOX_LANES}),
    created_at timestamptz NOT NULL DEFAULT now()
)
"""
OUTBOX_INDEX: Final = "CREATE INDEX outbox_lane_position ON outbox (lane, position)"

# Per consumer group; purged after the retention (PROCESSED_EVENTS_RETENTION_HOURS).
PROCESSED_TABLE: Final = """
CREATE TABLE processed_events (
    tenant_id text NOT NULL,
    group_id text NOT NULL,
    event_id uuid NOT NULL,
    event_type text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, group_id, event_id)
)
"""
PROCESSED_INDEX: Final = (
    "CREATE INDEX processed_events_processed_at ON processed_events (processed_at)"
)


def core_schema_statements() -> list[str]:
    """The tenant function, the outbox and the processed-event marks (first migration)."""
    return [TENANT_FUNCTION, OUTBOX_TABLE, OUTBOX_INDEX, PROCESSED_TABLE, PROCESSED_INDEX]


def create_core_schema() -> None:
    """A first migration's ``upgrade``: the shared tables (run inside Alembic)."""
    for statement in core_schema_statements():
        op.execute(statement)


def tenant_isolation_statements(table: str) -> list[str]:
    """Row-level security on ``table``: rows of the transaction's tenant only.

    FORCE applies the policy to the table's owner too (the service's role owns its
    tables); only a superuser or a BYPASSRLS role is exempt.
    """
    if not _IDENTIFIER.match(table):
        raise ValueError(f"not a plain table name: {table!r}")
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {table}_tenant_isolation ON {table} "
        "USING (tenant_id = agora_tenant()) WITH CHECK (tenant_id = agora_tenant())",
    ]
