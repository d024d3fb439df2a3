"""The benchmark's database: the shared tables and one tenant table the handler writes.

``progress`` is shaped like a service's table (``tenant_id`` leading the primary key,
row-level security on), so the benchmark pays what a service's unit of work pays.
"""

from alembic import op

from agora_core.postgres.schema import create_core_schema, tenant_isolation_statements

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_core_schema()
    op.execute(
        """
        CREATE TABLE progress (
            tenant_id text NOT NULL,
            event_id uuid NOT NULL,
            learner_id text NOT NULL,
            item_id text NOT NULL,
            percent integer NOT NULL,
            PRIMARY KEY (tenant_id, event_id)
        )
        """
    )
    for statement in tenant_isolation_statements("progress"):
        op.execute(statement)
