"""The asker's questions newest first (ListMyQuestions): ``questions_of_asker`` gains
the (time, id) order so a page is one backwards range read; erasure by asker still
uses its leading columns."""

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.execute("DROP INDEX questions_of_asker")
    op.execute(
        "CREATE INDEX questions_of_asker ON questions"
        " (tenant_id, asker_id, create_time, question_id)"
    )
