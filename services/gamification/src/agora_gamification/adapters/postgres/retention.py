"""Ledger retention on PostgreSQL: the tenants that set one, the per-tenant claim, and
the fold of a batch of learners' old entries into carried entries.

A fold deletes (``DELETE … RETURNING``) and the caller inserts the carried entries in
the same transaction, so what is carried is exactly what was deleted; a balance, which
a purge never touches, stays the sum of the learner's entries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

from psycopg import AsyncConnection

from agora_gamification.adapters.postgres.ledger import INSERT_LINES, insert_parameters
from agora_gamification.domain.profile import LedgerLine
from agora_gamification.domain.retention import CARRIED_FORWARD, FoldedEntries

# The partial index ``ledger_age`` leaves carried entries out; the query names the same
# literal so the planner can use it.
LEARNERS_QUERY: Final = (
    "SELECT learner_id FROM ledger WHERE tenant_id = %s AND awarded_at < %s "  # noqa: S608
    f"AND rule_id <> '{CARRIED_FORWARD}' ORDER BY awarded_at LIMIT %s"
)

# Entries before the horizon, and an earlier carried entry of the same horizon (a late
# event scored after that day's purge): the learner keeps one carried entry.
FOLD_QUERY: Final = f"""
WITH gone AS (
    DELETE FROM ledger WHERE tenant_id = %s AND learner_id = ANY(%b::text[]) AND awarded_at <= %s
        AND (awarded_at < %s OR rule_id = '{CARRIED_FORWARD}')
    RETURNING learner_id, entry_id, points)
SELECT learner_id, count(*), sum(points), min(entry_id) FROM gone GROUP BY learner_id
"""  # noqa: S608

# Erasure deletes the profile before it pseudonymises the ledger: holding the profiles'
# locks while folding makes an erasure wait for the carried entries, then rename them too.
_LOCK_PROFILES: Final = (
    "SELECT 1 FROM profiles WHERE tenant_id = %s AND learner_id = ANY(%b::text[]) "
    "ORDER BY learner_id FOR UPDATE"
)


async def set_retention(connection: AsyncConnection, tenant_id: str, days: int) -> None:
    """Put the tenant in the purger's view (``days`` > 0) or take it out (0)."""
    if days:
        await connection.execute(
            "INSERT INTO ledger_retention (tenant_id, retention_days) VALUES (%s, %s) "
            "ON CONFLICT (tenant_id) DO UPDATE SET retention_days = excluded.retention_days",
            (tenant_id, days),
        )
    else:
        await connection.execute("DELETE FROM ledger_retention WHERE tenant_id = %s", (tenant_id,))


async def retention_tenants(connection: AsyncConnection) -> list[str]:
    """Every tenant with a ledger retention (a table without row-level security)."""
    cursor = await connection.execute("SELECT tenant_id FROM ledger_retention ORDER BY tenant_id")
    return [str(row[0]) for row in await cursor.fetchall()]


class PostgresRetentionRepository:
    """One tenant's ledger retention."""

    def __init__(self, connection: AsyncConnection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id

    async def claim(self) -> int | None:
        """The tenant's retention in days, its row locked until the transaction ends;
        None when retention is off or another transaction (replica) holds the claim."""
        cursor = await self._connection.execute(
            "SELECT retention_days FROM ledger_retention WHERE tenant_id = %s "
            "FOR UPDATE SKIP LOCKED",
            (self._tenant,),
        )
        row = await cursor.fetchone()
        return None if row is None else int(row[0])

    async def learners_before(self, horizon: dt.datetime, limit: int) -> list[str]:
        """Learners owning some of the ``limit`` oldest entries before ``horizon``
        (carried entries aside), in that order, each once."""
        cursor = await self._connection.execute(LEARNERS_QUERY, (self._tenant, horizon, limit))
        return list(dict.fromkeys(str(row[0]) for row in await cursor.fetchall()))

    async def fold_before(
        self, learner_ids: Sequence[str], horizon: dt.datetime
    ) -> list[FoldedEntries]:
        """Delete the learners' entries before ``horizon`` (with a carried entry at it);
        what was deleted, per learner."""
        ids = sorted(set(learner_ids))
        await self._connection.execute(_LOCK_PROFILES, (self._tenant, ids))
        cursor = await self._connection.execute(FOLD_QUERY, (self._tenant, ids, horizon, horizon))
        return [
            FoldedEntries(str(learner), int(count), int(points), str(first))
            for learner, count, points, first in await cursor.fetchall()
        ]

    async def add_carried(self, lines: Sequence[LedgerLine]) -> None:
        """Insert the carried entries; a clash of ids fails the transaction (nothing is
        dropped silently, the deletion rolls back with it)."""
        if lines:
            await self._connection.execute(INSERT_LINES, insert_parameters(self._tenant, lines))

    async def finished(self, horizon: dt.datetime, at: dt.datetime) -> None:
        """Record a complete purge up to ``horizon``."""
        await self._connection.execute(
            "UPDATE ledger_retention SET purged_before = %s, purged_at = %s WHERE tenant_id = %s",
            (horizon, at, self._tenant),
        )
