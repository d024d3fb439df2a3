"""A catalogue of 3,000 items per tenant, with progress and quiz attempts, for the
tests that read plans and count round trips (rows enough for the planner's statistics
to mean something)."""

from __future__ import annotations

import hashlib
from typing import Final

from agora_core.postgres import Database


def md5_of(n: int) -> str:
    """The first made-up word of item ``i-<n>`` (FILL)."""
    return hashlib.md5(str(n).encode()).hexdigest()  # noqa: S324 - the fill's word


FILL: Final = (
    # Rows enough for the planner's statistics to mean something (GIN costs depend on
    # them): items of made-up words and one word they all share, progress and attempts
    # over six skills.
    """
    INSERT INTO items (tenant_id, item_id, type, status, title, summary, language,
        language_base, skill_ids, skill_levels, content, author_id, version, create_time,
        update_time, sort_time, popularity, search_vector, rank_vector, search_text)
    SELECT %(t)s, 'i-' || n, 'wiki', CASE WHEN n %% 10 = 0 THEN 'draft' ELSE 'published' END,
        w, w, 'fr', 'fr', ARRAY['s' || (n %% 6)], ARRAY[2]::smallint[], '{}'::jsonb,
        'u-' || (n %% 50), 1, now(), now(), now() - n * interval '1 minute', n %% 97,
        to_tsvector('agora_fr', w), setweight(to_tsvector('agora_fr', w), 'A'), w
    FROM generate_series(1, 3000) AS n,
        LATERAL (SELECT md5(n::text) || ' ' || md5((n * 7)::text) || ' formation' AS w)
        AS words
    """,
    """
    INSERT INTO progress (tenant_id, learner_id, item_id, item_title, item_type, completed,
        started_at, updated_at, skill_ids)
    SELECT %(t)s, 'u-' || (n %% 500), 'i-' || n, 'x', 'wiki', n %% 3 = 0, now(), now(),
        ARRAY['s' || (n %% 6)]
    FROM generate_series(1, 3000) AS n
    """,
    """
    INSERT INTO quiz_attempts (tenant_id, learner_id, item_id, number, score_percent, passed,
        question_ids, question_correct, skill_ids, graded_at, attempts_left)
    SELECT %(t)s, 'u-' || (n %% 500), 'i-' || n, 1, 50, n %% 2 = 0, '{}', '{}',
        ARRAY['s' || (n %% 6)], now(), -1
    FROM generate_series(1, 3000) AS n
    """,
)


async def fill(database: Database, *tenants: str) -> None:
    """FILL for each of ``tenants``, then fresh statistics."""
    for tenant in tenants:
        async with database.unit_of_work(tenant) as uow:
            for statement in FILL:
                await uow.connection.execute(statement, {"t": tenant})
    async with database.pool.connection() as connection:
        await connection.execute("ANALYZE items, progress, quiz_attempts")
