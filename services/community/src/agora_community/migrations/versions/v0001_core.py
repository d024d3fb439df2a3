"""The tables every service database has: outbox, processed-event marks, and the
tenant function row-level security reads. The service's own tables follow as it moves
to PostgreSQL."""

from alembic import op

from agora_core.postgres.schema import core_schema_statements

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in core_schema_statements():
        op.execute(statement)
