"""The people directory (PutPeople, SearchPeople): one row per person with the display
name and roles the identity provider or HR sync gives, and one key per word of the
name (folded, byte-ordered: ``COLLATE "C"``) so a prefix search is one index range read
of ``people_by_name_key``. Erasure deletes both (see ``adapters/postgres/erasure``)."""

from alembic import op

from agora_core.postgres.schema import tenant_isolation_statements

revision = "0005"
down_revision = "0004"

TABLES = {
    "people": """
        CREATE TABLE people (
            tenant_id text NOT NULL,
            person_id text NOT NULL,
            display_name text NOT NULL,
            roles text[] NOT NULL,
            update_time timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, person_id)
        )""",
    "people_name_keys": """
        CREATE TABLE people_name_keys (
            tenant_id text NOT NULL,
            name_key text NOT NULL,
            person_id text NOT NULL,
            PRIMARY KEY (tenant_id, name_key, person_id),
            FOREIGN KEY (tenant_id, person_id) REFERENCES people ON DELETE CASCADE
        )""",
}


def upgrade() -> None:
    for table, statement in TABLES.items():
        op.execute(statement)
        for isolation in tenant_isolation_statements(table):
            op.execute(isolation)
    # SearchPeople: a prefix is a range of the byte-ordered keys.
    op.execute(
        "CREATE INDEX people_by_name_key ON people_name_keys"
        ' (tenant_id, (name_key COLLATE "C"), person_id)'
    )
    # The foreign key's deletes (erasure, a renamed person's old keys) by person.
    op.execute("CREATE INDEX people_name_keys_of_person ON people_name_keys (tenant_id, person_id)")
