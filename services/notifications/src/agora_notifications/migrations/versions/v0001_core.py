"""The notifications database's first revision: the shared tables (outbox, processed-
event marks, the tenant function of row-level security). Its own tables (inboxes,
preferences, deliveries, webhooks and reminder schedules) follow in the revisions of
its move to PostgreSQL."""

from agora_core.postgres.schema import create_core_schema as upgrade

revision = "0001"
down_revision = None
__all__ = ["down_revision", "revision", "upgrade"]
