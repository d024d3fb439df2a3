"""Seeding the community benchmark's database server-side (``generate_series``): spaces,
one knowledge item per space, comment threads and popularity rows, in the shapes the
service's own writes leave (``adapters/postgres``), then ``ANALYZE``."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

TENANT = "bench"
BIG = "k-0"
"""The item of the largest thread (space 0)."""


@dataclass(frozen=True)
class Sizes:
    comments: int
    spaces: int
    largest: int
    popular: int
    """Targets with popularity rows (trending candidates)."""

    @property
    def per_other_thread(self) -> int:
        return (self.comments - self.largest) // max(1, self.spaces - 1)


FULL = Sizes(comments=1_000_000, spaces=1_000, largest=100_000, popular=100_000)
QUICK = Sizes(comments=50_000, spaces=100, largest=10_000, popular=10_000)
SMOKE = Sizes(comments=2_000, spaces=10, largest=500, popular=500)

_STATEMENTS = (
    """INSERT INTO spaces (tenant_id, space_id, name, name_folded, description, visibility,
        topic, created_by, create_time, member_count)
    SELECT %(tenant)s, 's-' || n, 'Space ' || n, 'space ' || n, '', 'open', 'bench',
        'u-owner', now() - interval '30 days', 1
    FROM generate_series(0, %(spaces)s - 1) AS n""",
    """INSERT INTO targets (tenant_id, target_type, target_id, owner_id, space_id, title,
        skill_ids, archived, published_at)
    SELECT %(tenant)s, 'knowledge', 'k-' || n, 'u-author', 's-' || n, 'Item ' || n,
        '{}', false, now() - interval '30 days'
    FROM generate_series(0, %(spaces)s - 1) AS n""",
    # Items outside any space, for the like storm (likes in a space need membership).
    """INSERT INTO targets (tenant_id, target_type, target_id, owner_id, title, skill_ids,
        archived, published_at)
    SELECT %(tenant)s, 'knowledge', 'kl-' || n, 'u-author', 'Open item ' || n, '{}', false,
        now() - interval '30 days'
    FROM generate_series(0, %(spaces)s - 1) AS n""",
    # The largest thread: item k-0, one comment a second, oldest first.
    """INSERT INTO comments (tenant_id, comment_id, target_type, target_id, space_id,
        author_id, body, create_time, update_time, hidden)
    SELECT %(tenant)s, 'c-0-' || lpad(n::text, 7, '0'), 'knowledge', 'k-0', 's-0',
        'u-' || (n %% 5000), 'Comment number ' || n || ' of the big thread',
        timestamptz '2026-11-01' + n * interval '1 second',
        timestamptz '2026-11-01' + n * interval '1 second', n %% 100 = 99
    FROM generate_series(0, %(largest)s - 1) AS n""",
    # The other threads share the rest.
    """INSERT INTO comments (tenant_id, comment_id, target_type, target_id, space_id,
        author_id, body, create_time, update_time)
    SELECT %(tenant)s, 'c-' || t || '-' || lpad(n::text, 7, '0'), 'knowledge', 'k-' || t,
        's-' || t, 'u-' || ((t * 7 + n) %% 5000), 'A comment on item ' || t,
        timestamptz '2026-11-01' + n * interval '1 minute',
        timestamptz '2026-11-01' + n * interval '1 minute'
    FROM generate_series(1, %(spaces)s - 1) AS t, generate_series(0, %(per_thread)s - 1) AS n""",
    # Popularity of the items and of many comments, as the consumer leaves it: a score
    # at its last engagement and the rank (log2(score) + half-lives since the epoch).
    """INSERT INTO popularity (tenant_id, target_type, target_id, likes, comments,
        participants, trending_score, trending_at, trending_rank)
    SELECT %(tenant)s, kind, id, likes, 0, likes, score, at,
        log(2, score::numeric)::float8
        + extract(epoch FROM at - timestamptz '2026-01-01') / 3600 / 24
    FROM (
        SELECT CASE WHEN n < %(spaces)s THEN 'knowledge' ELSE 'comment' END AS kind,
            CASE WHEN n < %(spaces)s THEN 'k-' || n ELSE 'pc-' || n END AS id,
            1 + (n::int8 * 7919) %% 500 AS likes,
            1 + ((n::int8 * 104729) %% 10000) / 100.0 AS score,
            now() - ((n::int8 * 31) %% 7200) * interval '1 minute' AS at
        FROM generate_series(0, %(popular)s - 1) AS n
    ) AS p""",
    "ANALYZE",
)


async def seed(admin_dsn: str, sizes: Sizes) -> None:
    """Fill the (migrated) database as its owner-bypassing admin: row-level security
    does not apply to the load, only to the service's reads."""
    params = {
        "tenant": TENANT,
        "spaces": sizes.spaces,
        "largest": sizes.largest,
        "per_thread": sizes.per_other_thread,
        "popular": sizes.popular,
    }
    async with await psycopg.AsyncConnection.connect(admin_dsn, autocommit=True) as connection:
        for statement in _STATEMENTS:
            await connection.execute(statement, params)
