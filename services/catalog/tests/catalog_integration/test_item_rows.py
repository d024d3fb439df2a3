"""An item's row keeps what a search reads and sends its body's vector out of line
(migration 0007): rows stay small, so a search of a rare word reads few pages, and the
ranked vector is never compressed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from agora_catalog.migrations import MIGRATIONS
from agora_core.postgres import Database
from agora_core.testing.postgres import migrated_database

pytestmark = pytest.mark.integration

T = "acme"
ITEMS = 80

# Each item: a body vector of 40 made-up words (about 1.6 kB, stored as it is) and
# content of 1 kB that compresses well. 2.7 kB in all: PostgreSQL's default would only
# compress the content and keep the body's vector in a 1.8 kB row, four to a page.
_INSERT = """
INSERT INTO items (tenant_id, item_id, type, status, title, summary, language,
    language_base, content, author_id, version, create_time, update_time, sort_time,
    search_vector, rank_vector, search_text)
SELECT %(t)s, 'i-' || n, 'wiki', 'published', 'Title ' || n, 'Summary', 'fr', 'fr',
    jsonb_build_object('markdown', repeat('lorem ipsum ', 90)), 'u-1', 1, now(), now(),
    now(), to_tsvector('simple', body), setweight(to_tsvector('simple', 'Title ' || n), 'A'),
    'title ' || n
FROM generate_series(1, %(items)s) AS n,
    LATERAL (SELECT string_agg(md5(n::text || '-' || w::text), ' ') AS body
             FROM generate_series(1, 40) AS w) AS words
"""


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as db:
        yield db


async def test_an_items_row_holds_its_ranked_vector_not_its_bodys(database: Database) -> None:
    async with database.unit_of_work(T) as uow:
        await uow.connection.execute(_INSERT, {"t": T, "items": ITEMS})
        cursor = await uow.connection.execute(
            "SELECT pg_relation_size('items') / current_setting('block_size')::int, "
            "count(*) FILTER (WHERE pg_column_compression(rank_vector) IS NOT NULL), "
            # Compressed or out of line, a value stores fewer bytes than it holds plus a
            # header; in the row it stores more.
            "count(*) FILTER (WHERE pg_column_size(item_id) <= octet_length(item_id)), "
            "min(length(search_vector)) FROM items"
        )
        pages, compressed_ranks, ids_not_in_row, lexemes = await cursor.fetchone() or ()
    assert lexemes == 40  # the body's vector is whole, wherever it lives
    assert compressed_ranks == ids_not_in_row == 0
    # At most 1 kB a row: 80 rows in 12 pages or fewer (20 with the body's vector inline).
    assert pages <= ITEMS * 1024 // 8192 + 2, f"{pages} pages for {ITEMS} rows"
