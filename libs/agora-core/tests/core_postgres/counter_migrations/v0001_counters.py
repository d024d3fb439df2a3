"""The shared tables and a counters table whose effect is NOT idempotent on its own."""

from alembic import op

from agora_core.postgres.schema import create_core_schema, tenant_isolation_statements

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_core_schema()
    op.execute(
        """
        CREATE TABLE counters (
            tenant_id text NOT NULL,
            counter_id text NOT NULL,
            value bigint NOT NULL,
            PRIMARY KEY (tenant_id, counter_id)
        )
        """
    )
    for statement in tenant_isolation_statements("counters"):
        op.execute(statement)
