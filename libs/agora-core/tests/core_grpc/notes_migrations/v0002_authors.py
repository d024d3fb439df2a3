"""Notes counted per author: a new table, filled from the notes already stored."""

from alembic import op

from agora_core.postgres.schema import tenant_isolation_statements

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE authors (
            tenant_id text NOT NULL,
            author_id text NOT NULL,
            notes integer NOT NULL DEFAULT 0,
            PRIMARY KEY (tenant_id, author_id)
        )
        """
    )
    op.execute("CREATE INDEX authors_by_count ON authors (tenant_id, notes DESC, author_id)")
    # Migrations run as the owner, which RLS also binds (FORCE): the backfill reads
    # every tenant's notes, so it runs before the policies exist on the new table and
    # with the notes policy lifted for this transaction only.
    op.execute("ALTER TABLE notes NO FORCE ROW LEVEL SECURITY")
    op.execute(
        """
        INSERT INTO authors (tenant_id, author_id, notes)
        SELECT tenant_id, author_id, count(*) FROM notes GROUP BY tenant_id, author_id
        """
    )
    op.execute("ALTER TABLE notes FORCE ROW LEVEL SECURITY")
    for statement in tenant_isolation_statements("authors"):
        op.execute(statement)
