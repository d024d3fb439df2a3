"""Webhook subscriptions and their signing secrets.

A subscription has one or more secrets: during a rotation the old ones keep signing
until their ``expires_at`` (each delivery then carries one signature per secret). The
secret values are stored as issued (HMAC keys must be at hand to sign) and never leave
the service after creation or rotation. Every key and index leads with ``tenant_id``;
the list view is served by ``webhook_subscriptions_by_creation``.

Revision "0003" follows the storage move's "0002": one database for the whole service.
"""

from alembic import op

from agora_core.postgres.schema import tenant_isolation_statements

revision = "0003"
down_revision = "0002"

TABLES = {
    "webhook_subscriptions": """
        CREATE TABLE webhook_subscriptions (
            tenant_id text NOT NULL,
            subscription_id text NOT NULL,
            url text NOT NULL CHECK (length(url) <= 2000),
            event_types text[] NOT NULL DEFAULT '{}',
            subjects text[] NOT NULL DEFAULT '{}',
            description text NOT NULL DEFAULT '',
            paused boolean NOT NULL DEFAULT false,
            created_at timestamptz NOT NULL,
            updated_at timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, subscription_id)
        )""",
    "webhook_secrets": """
        CREATE TABLE webhook_secrets (
            tenant_id text NOT NULL,
            subscription_id text NOT NULL,
            secret_id text NOT NULL,
            value text NOT NULL,
            created_at timestamptz NOT NULL,
            expires_at timestamptz,
            PRIMARY KEY (tenant_id, subscription_id, secret_id),
            FOREIGN KEY (tenant_id, subscription_id)
                REFERENCES webhook_subscriptions ON DELETE CASCADE
        )""",
}

INDEXES = [
    "CREATE INDEX webhook_subscriptions_by_creation "
    "ON webhook_subscriptions (tenant_id, created_at, subscription_id)",
]


def upgrade() -> None:
    for table, statement in TABLES.items():
        op.execute(statement)
        for isolation in tenant_isolation_statements(table):
            op.execute(isolation)
    for statement in INDEXES:
        op.execute(statement)
