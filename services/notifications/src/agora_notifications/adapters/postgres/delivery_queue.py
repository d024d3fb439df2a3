"""The queue of pending deliveries, claimed across tenants by the delivery workers.

``delivery_queue`` holds one row per pending delivery: its tenant, its id and when it
is due — no personal data, no row-level security (like the shared ``outbox`` the relay
reads across tenants; see migrations/versions/v0002_notifications_tables.py). A claim is
one statement: the earliest due rows, ``FOR UPDATE SKIP LOCKED`` so concurrent workers
each take different rows without waiting, their ``due_at`` pushed forward by the lease
and stamped with the claimer's token. A worker that dies mid-send leaves the row to
come due again when its lease ends, and another worker retakes it; a worker whose lease
was retaken finds its token gone when it records (``release``/``reschedule`` match the
token), so it never records over the new owner.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from agora_core.postgres.pool import AsyncConnection
from agora_notifications.domain.delivery_queue import DeliveryClaim

CLAIM: Final = (
    "WITH due AS ("
    " SELECT tenant_id, delivery_id FROM delivery_queue WHERE due_at <= %s"
    " ORDER BY due_at LIMIT %s FOR UPDATE SKIP LOCKED)"
    " UPDATE delivery_queue AS q SET due_at = %s, lease_owner = %s FROM due"
    " WHERE q.tenant_id = due.tenant_id AND q.delivery_id = due.delivery_id"
    " RETURNING q.tenant_id, q.delivery_id"
)
"""Lease up to ``limit`` due deliveries (index ``delivery_queue_due``; params: now,
limit, lease end, owner)."""

_ENQUEUE: Final = (
    "INSERT INTO delivery_queue (tenant_id, delivery_id, due_at)"
    " SELECT %s, unnest(%b::text[]), unnest(%b::timestamptz[])"
    " ON CONFLICT (tenant_id, delivery_id) DO UPDATE SET due_at = excluded.due_at,"
    " lease_owner = NULL"
)
_RELEASE: Final = (
    "DELETE FROM delivery_queue WHERE tenant_id = %s AND delivery_id = %s AND lease_owner = %s"
)
_RESCHEDULE: Final = (
    "UPDATE delivery_queue SET due_at = %s, lease_owner = NULL"
    " WHERE tenant_id = %s AND delivery_id = %s AND lease_owner = %s"
)
_HOLD: Final = (
    "INSERT INTO digest_queue (tenant_id, recipient_id, due_at) VALUES (%s, %s, %s)"
    " ON CONFLICT (tenant_id, recipient_id)"
    " DO UPDATE SET due_at = least(digest_queue.due_at, excluded.due_at)"
)
_REMOVE: Final = "DELETE FROM delivery_queue WHERE tenant_id = %s AND delivery_id = ANY(%b::text[])"


class PostgresDeliveryQueue:
    """The due-delivery queue on one connection (a worker's own, or a unit of work's:
    enqueueing belongs in the transaction that writes the delivery row)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def claim(
        self, now: datetime, *, limit: int, lease: timedelta, owner: uuid.UUID
    ) -> list[DeliveryClaim]:
        """Lease up to ``limit`` due deliveries of any tenant for ``owner``."""
        cursor = await self._connection.execute(CLAIM, (now, limit, now + lease, owner))
        return [
            DeliveryClaim(tenant, delivery, owner) for tenant, delivery in await cursor.fetchall()
        ]

    async def enqueue(self, tenant_id: str, due: Sequence[tuple[str, datetime]]) -> None:
        """Make deliveries due at their times (a new one, or a retried one)."""
        if due:
            await self._connection.execute(
                _ENQUEUE, (tenant_id, [d for d, _ in due], [t for _, t in due])
            )

    async def release(self, claim: DeliveryClaim) -> bool:
        """The delivery is settled (sent, failed for good): leave the queue. False when
        the lease was lost (another worker retook it): the caller records nothing."""
        cursor = await self._connection.execute(
            _RELEASE, (claim.tenant_id, claim.delivery_id, claim.lease_owner)
        )
        return cursor.rowcount == 1

    async def reschedule(self, claim: DeliveryClaim, due_at: datetime) -> bool:
        """Try again at ``due_at`` (backoff); False when the lease was lost."""
        cursor = await self._connection.execute(
            _RESCHEDULE, (due_at, claim.tenant_id, claim.delivery_id, claim.lease_owner)
        )
        return cursor.rowcount == 1

    async def remove(self, tenant_id: str, delivery_ids: Sequence[str]) -> None:
        """Deliveries cancelled or erased: never due again."""
        if delivery_ids:
            await self._connection.execute(_REMOVE, (tenant_id, list(delivery_ids)))

    async def hold_for_digest(self, tenant_id: str, recipient_id: str, send_at: datetime) -> None:
        """The recipient has held email going out at ``send_at``: their digest slot is due
        then, or earlier if another digest of theirs is."""
        await self._connection.execute(_HOLD, (tenant_id, recipient_id, send_at))
