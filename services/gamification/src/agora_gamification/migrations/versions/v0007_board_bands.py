"""Leaderboard bands (``adapters/postgres/boards.py``).

``board_bands``: per board, period and band of 64 consecutive points values
(``points >> 6``), how many public entries have points in it — the sum of the band's
``board_counts``, filled from them here and moved with them from now on. A rank then
sums the bands above the caller's band and the values of its own band instead of every
points value above it (5,000 rows at a million learners spread over 5,000 values).
"""

from __future__ import annotations

from typing import Final

from alembic import op

from agora_core.postgres.schema import tenant_isolation_statements

revision = "0007"
down_revision = "0006"

STATEMENTS: Final = (
    """
    CREATE TABLE board_bands (
        tenant_id text NOT NULL,
        board text NOT NULL,
        period text NOT NULL,
        band bigint NOT NULL,
        entries integer NOT NULL,
        PRIMARY KEY (tenant_id, board, period, band)
    )""",
    *tenant_isolation_statements("board_bands"),
    # Migrations run as the owner, which row-level security binds too (FORCE): the
    # fill reads and writes every tenant's rows only with the policy lifted for it.
    "ALTER TABLE board_counts NO FORCE ROW LEVEL SECURITY",
    "ALTER TABLE board_bands NO FORCE ROW LEVEL SECURITY",
    """
    INSERT INTO board_bands (tenant_id, board, period, band, entries)
    SELECT tenant_id, board, period, points >> 6, sum(entries) FROM board_counts
    GROUP BY tenant_id, board, period, points >> 6
    """,
    "ALTER TABLE board_counts FORCE ROW LEVEL SECURITY",
    "ALTER TABLE board_bands FORCE ROW LEVEL SECURITY",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)
