"""The append-only point ledger: rows inserted a batch at a time, read a page at a time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final

from psycopg import AsyncConnection

from agora_gamification.domain.profile import LedgerLine

INSERT_LINES: Final = """
INSERT INTO ledger (tenant_id, entry_id, learner_id, points, balance, rule_id, rule_version,
    source_event_id, source_event_type, awarded_at)
SELECT %s, * FROM unnest(%b::text[], %b::text[], %b::integer[], %b::bigint[], %b::text[],
    %b::integer[], %b::text[], %b::text[], %b::timestamptz[])
"""
_INSERT: Final = INSERT_LINES + "ON CONFLICT (tenant_id, entry_id) DO NOTHING"

_COLUMNS = (
    "entry_id, learner_id, points, balance, rule_id, rule_version, source_event_id, "
    "source_event_type, awarded_at"
)


PAGE_QUERY = (
    f"SELECT {_COLUMNS} FROM ledger WHERE tenant_id = %s AND learner_id = %s "  # noqa: S608
    "AND (awarded_at, entry_id) < (%s, %s) ORDER BY awarded_at DESC, entry_id DESC LIMIT %s"
)
# Ahead of every real key: the first page of a newest-first list.
FIRST_KEY: Final = (dt.datetime.max.replace(tzinfo=dt.UTC), "")


class PostgresLedgerRepository:
    """One tenant's ledger."""

    def __init__(self, connection: AsyncConnection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id

    async def add_entries(self, lines: Sequence[LedgerLine]) -> int:
        """Insert the entries in one statement (a known entry id is left as it is);
        how many were new."""
        if not lines:
            return 0
        cursor = await self._connection.execute(_INSERT, insert_parameters(self._tenant, lines))
        return cursor.rowcount

    async def entries_of(
        self, learner_id: str, after: tuple[dt.datetime, str] | None, limit: int
    ) -> list[LedgerLine]:
        """Newest first (ties: higher entry id first), after the keyset ``after``
        (awarded_at, entry_id)."""
        at, entry_id = after or FIRST_KEY
        cursor = await self._connection.execute(
            PAGE_QUERY, (self._tenant, learner_id, at, entry_id, limit)
        )
        return [_line(row) for row in await cursor.fetchall()]

    async def sum_of(self, learner_id: str) -> int:
        """The sum of a learner's entries (their balance must equal it)."""
        cursor = await self._connection.execute(
            "SELECT coalesce(sum(points), 0) FROM ledger WHERE tenant_id = %s AND learner_id = %s",
            (self._tenant, learner_id),
        )
        row = await cursor.fetchone()
        return int(row[0]) if row is not None else 0

    async def pseudonymise(self, person_id: str, pseudonym: str) -> int:
        """Right to erasure: the amounts stay under an unlinkable id; rows changed."""
        cursor = await self._connection.execute(
            "UPDATE ledger SET learner_id = %s WHERE tenant_id = %s AND learner_id = %s",
            (pseudonym, self._tenant, person_id),
        )
        return cursor.rowcount


def insert_parameters(tenant_id: str, lines: Sequence[LedgerLine]) -> tuple[object, ...]:
    """The parameters of :data:`INSERT_LINES` for ``lines`` (one array per column)."""
    return (
        tenant_id,
        [x.entry_id for x in lines],
        [x.learner_id for x in lines],
        [x.points for x in lines],
        [x.balance for x in lines],
        [x.rule_id for x in lines],
        [x.rule_version for x in lines],
        [x.source_event_id for x in lines],
        [x.source_event_type for x in lines],
        [x.awarded_at for x in lines],
    )


def _line(row: tuple[object, ...]) -> LedgerLine:
    entry, learner, points, balance, rule, version, event_id, event_type, at = row
    assert isinstance(at, dt.datetime)
    return LedgerLine(
        entry_id=str(entry),
        learner_id=str(learner),
        points=int(str(points)),
        rule_id=str(rule),
        rule_version=int(str(version)),
        source_event_id=str(event_id),
        source_event_type=str(event_type),
        awarded_at=at,
        balance=int(str(balance)),
    )
