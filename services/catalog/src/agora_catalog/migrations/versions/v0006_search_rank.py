"""Search ranks on a small vector: ``rank_vector``, an item's title (weight A) and
summary (B) only, kept in the row (``STORAGE MAIN``), with its own text index
``items_head``. ``search_vector`` (title, summary and body) still decides what matches,
through ``items_search``; ranking no longer reads it (a body's vector is kilobytes,
stored out of line: reading it for every candidate was most of a search's time).

``search_vector`` is stored out of line uncompressed (``STORAGE EXTERNAL``) once a row
outgrows a page's quarter, so the rows a search reads hold the small vector, not the
body's. (A low ``toast_tuple_target`` was tried and rejected: it moved even ``item_id``
out of line, and a sort by id then read the TOAST table at every comparison.)
"""

from alembic import op

revision = "0006"
down_revision = "0005"

_CONFIG = (
    "(CASE lower(language_base) WHEN 'fr' THEN 'agora_fr' WHEN 'en' THEN 'agora_en' "
    "ELSE 'agora_simple' END)::regconfig"
)
STATEMENTS = (
    "ALTER TABLE items ADD COLUMN rank_vector tsvector NOT NULL DEFAULT ''::tsvector",
    "ALTER TABLE items ALTER COLUMN rank_vector SET STORAGE MAIN",
    "ALTER TABLE items ALTER COLUMN search_vector SET STORAGE EXTERNAL",
    "ALTER TABLE items ALTER COLUMN rank_vector SET STATISTICS 1000",
    f"UPDATE items SET rank_vector = setweight(to_tsvector({_CONFIG}, title), 'A') "  # noqa: S608
    f"|| setweight(to_tsvector({_CONFIG}, summary), 'B')",
    "CREATE INDEX items_head ON items USING gin (tenant_id, rank_vector)",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)
