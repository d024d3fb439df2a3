"""The scheduler's queues on PostgreSQL: reminder, assignment-alert, digest and nudge
slots, claimed across tenants like the delivery queue (``FOR UPDATE SKIP LOCKED``,
``due_at`` pushed forward by the lease, the claimer's token stamped); settling a slot
(the next due time, or gone) needs the token, so a worker whose lease was retaken
changes nothing."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Final

from agora_core.postgres import Database
from agora_core.postgres.pool import AsyncConnection
from agora_notifications.domain.schedule_queue import ScheduleQueue, SlotClaim


def claim_sql(queue: ScheduleQueue) -> str:
    """Lease up to ``limit`` due slots (index ``<table>_due``; params: now, limit, lease
    end, owner)."""
    keys = ", ".join(queue.keys)
    joined = " AND ".join(f"q.{k} = due.{k}" for k in ("tenant_id", *queue.keys))
    return (
        f"WITH due AS (SELECT tenant_id, {keys} FROM {queue.table} WHERE due_at <= %s"
        " ORDER BY due_at LIMIT %s FOR UPDATE SKIP LOCKED)"
        f" UPDATE {queue.table} AS q SET due_at = %s, lease_owner = %s FROM due WHERE {joined}"
        f" RETURNING q.tenant_id, {', '.join(f'q.{k}' for k in queue.keys)}"
    )


def _where_owned(queue: ScheduleQueue) -> str:
    keys = " AND ".join(f"{k} = %s" for k in ("tenant_id", *queue.keys))
    return f"WHERE {keys} AND lease_owner = %s"


_CLAIMS: Final = {queue: claim_sql(queue) for queue in ScheduleQueue}


class PostgresScheduleClaims:
    """Claims due slots of one queue across tenants, in a transaction of its own."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def claim(
        self,
        queue: ScheduleQueue,
        now: datetime,
        *,
        limit: int,
        lease: timedelta,
        owner: uuid.UUID,
    ) -> list[SlotClaim]:
        async with self._database.unit_of_work() as core:
            cursor = await core.connection.execute(_CLAIMS[queue], (now, limit, now + lease, owner))
            rows = await cursor.fetchall()
        return [SlotClaim(queue, row[0], tuple(row[1:]), owner) for row in rows]


class PostgresScheduleSlots:
    """Settling claimed slots, in the unit of work that does the slot's work."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def reschedule(self, claim: SlotClaim, due_at: datetime) -> bool:
        """Due again at ``due_at`` (the next reminder, digest, nudge); False when the
        lease was lost."""
        queue = claim.queue
        cursor = await self._connection.execute(
            f"UPDATE {queue.table} SET due_at = %s, lease_owner = NULL {_where_owned(queue)}",
            (due_at, claim.tenant_id, *claim.key, claim.lease_owner),
        )
        return cursor.rowcount == 1

    async def finish(self, claim: SlotClaim) -> bool:
        """Nothing more to do for the slot; False when the lease was lost."""
        queue = claim.queue
        cursor = await self._connection.execute(
            f"DELETE FROM {queue.table} {_where_owned(queue)}",
            (claim.tenant_id, *claim.key, claim.lease_owner),
        )
        return cursor.rowcount == 1
