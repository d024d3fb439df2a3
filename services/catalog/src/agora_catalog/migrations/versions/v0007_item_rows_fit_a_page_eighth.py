"""An item's row holds what a search reads; its body's vector lives out of line.

``search_vector`` (title, summary and body: about 1.8 kB) went out of line only once a
row outgrew a quarter of a page (2 kB, PostgreSQL's default), so most rows kept it: at
100,000 items the table was 224 MB, a search of a rare word read a page per match
(2,600 pages) and, with PostgreSQL's default 128 MB of buffers shared by every index,
most of those pages from the operating system's cache. With rows cut to 1 kB when they
outgrow 2 kB, the body's vector leaves first (the largest value, ``STORAGE EXTERNAL``)
and the row stops there: item ids, titles and ``rank_vector`` (``STORAGE PLAIN``: never
compressed, read for every candidate ranked) stay in the row.

PostgreSQL applies the target only to a row written longer than 2 kB, so rows already
stored keep their layout until an edit rewrites their vectors. To move them all at once
(a full-table write: at a quiet hour, then ``VACUUM``)::

    UPDATE items SET search_vector = search_vector || ''::tsvector,
        content = content || '{}'::jsonb;

(A target of 256 bytes was tried before, ADR 0005: it moved ``item_id`` out of line. At
1 kB the row is short enough once the body's vector is gone, and the toaster stops.)
"""

from alembic import op

revision = "0007"
down_revision = "0006"

STATEMENTS = (
    "ALTER TABLE items SET (toast_tuple_target = 1024)",
    "ALTER TABLE items ALTER COLUMN rank_vector SET STORAGE PLAIN",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)
