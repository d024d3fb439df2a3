"""The request ids of idempotent creates (CreateWebhookSubscription's ``request_id``,
AIP-155)."""

from alembic import op

from agora_core.postgres.request_ids import request_ids_schema_statements

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    for statement in request_ids_schema_statements():
        op.execute(statement)
