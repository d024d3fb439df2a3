"""The shared tables and the notes table (tenant-led key and list index, RLS)."""

from alembic import op

from agora_core.postgres.schema import create_core_schema, tenant_isolation_statements

revision = "0001"
down_revision = None


def upgrade() -> None:
    create_core_schema()
    op.execute(
        """
        CREATE TABLE notes (
            tenant_id text NOT NULL,
            note_id text NOT NULL,
            title text NOT NULL,
            body text NOT NULL,
            author_id text NOT NULL,
            create_time timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, note_id)
        )
        """
    )
    # ListNotes: oldest first, keyset on (create_time, note_id).
    op.execute("CREATE INDEX notes_by_time ON notes (tenant_id, create_time, note_id)")
    for statement in tenant_isolation_statements("notes"):
        op.execute(statement)
