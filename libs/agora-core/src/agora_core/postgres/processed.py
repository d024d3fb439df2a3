"""Processed-event marks in PostgreSQL: written in the consumer's unit of work, so an
event's effects and its mark commit together (exactly-once effect), and purged after
a retention that must exceed how long a record can come back (topic retention, or
the longest rewind operators may do)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Final

from agora_core.postgres.pool import Pool
from agora_core.postgres.unit_of_work import UnitOfWork

# Arrays as binary parameters (%b): psycopg quotes every element of a text-format
# array with a regular expression, a cost per event that binary arrays do not have.
_MARK: Final = """
INSERT INTO processed_events (tenant_id, group_id, event_id, event_type)
SELECT t, %s, e, ty FROM unnest(%b::text[], %b::text[]::uuid[], %b::text[]) AS m(t, e, ty)
ON CONFLICT DO NOTHING
RETURNING event_id::text
"""
_PURGE: Final = """
DELETE FROM processed_events WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM processed_events WHERE processed_at < now() - %s LIMIT %s
))
"""


async def mark_processed(
    uow: UnitOfWork, group_id: str, marks: Sequence[tuple[str, str, str]]
) -> set[str]:
    """Record ``(tenant, event id, type)`` marks; return the ids that were new.

    One round trip: an id already marked (a redelivery) is not returned, and its
    event must be skipped. Marks commit or roll back with the unit of work.
    """
    if not marks:
        return set()
    tenants, ids, types = (list(column) for column in zip(*marks, strict=True))
    cursor = await uow.connection.execute(_MARK, (group_id, tenants, ids, types))
    return {row[0] for row in await cursor.fetchall()}


async def purge_processed(pool: Pool, older_than: timedelta, *, chunk: int = 10_000) -> int:
    """Delete marks older than ``older_than`` in chunks (short transactions)."""
    total = 0
    while True:
        async with pool.connection() as connection:
            cursor = await connection.execute(_PURGE, (older_than, chunk))
            deleted = cursor.rowcount
        total += deleted
        if deleted < chunk:
            return total
