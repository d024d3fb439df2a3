"""The delivery log on PostgreSQL: email and webhook deliveries of one tenant.

Rendered content (email) and the webhook payload (body and CloudEvents headers) are
JSONB; everything listed, filtered or claimed is a typed column. The attempt log is a
JSONB array appended to per attempt (a handful of entries per delivery).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from psycopg.types.json import Jsonb

from agora_core.postgres.pool import AsyncConnection
from agora_notifications.domain.deliveries import (
    Attempt,
    Delivery,
    EmailContent,
    HeldDigest,
    WebhookContent,
)
from agora_notifications.domain.model import DeliveryState, DigestMode

_COLUMNS: Final = (
    "delivery_id, channel, state, create_time, recipient_id, subscription_id,"
    " notification_id, event_type, category, source_event_id, attempts, last_error,"
    " next_attempt_at, email, webhook, log, digest_mode, digest_send_at, digest_key, title,"
    " body"
)
BY_ID: Final = f"SELECT {_COLUMNS} FROM deliveries WHERE tenant_id = %s AND delivery_id = %s"
_INSERT: Final = (
    f"INSERT INTO deliveries (tenant_id, {_COLUMNS})"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
    " %s, %s)"
    " ON CONFLICT (tenant_id, delivery_id) DO NOTHING"
)
_RECORD: Final = (
    "UPDATE deliveries SET attempts = %s, last_error = %s, state = %s, next_attempt_at = %s,"
    " delivered_at = CASE WHEN %s = 'delivered' THEN %s ELSE delivered_at END,"
    " failed_at = CASE WHEN %s = 'failed' THEN %s ELSE failed_at END,"
    " log = log || %s WHERE tenant_id = %s AND delivery_id = %s"
)


_HOLD: Final = (
    "UPDATE deliveries SET next_attempt_at = %s WHERE tenant_id = %s AND delivery_id = %s"
)
_HELD: Final = (
    f"SELECT {_COLUMNS} FROM deliveries WHERE tenant_id = %s AND recipient_id = %s"
    " AND state = 'held' AND digest_send_at <= %s ORDER BY digest_send_at, create_time"
)
_NEXT_HELD: Final = (
    "SELECT min(digest_send_at) FROM deliveries WHERE tenant_id = %s AND recipient_id = %s"
    " AND state = 'held'"
)
_DIGESTED: Final = (
    "UPDATE deliveries SET state = 'digested', digest_id = %s WHERE tenant_id = %s"
    " AND delivery_id = ANY(%b::text[]) AND state = 'held'"
)
_RETRY: Final = (
    "UPDATE deliveries SET state = 'pending', attempts = 0, retried = true,"
    " next_attempt_at = %s WHERE tenant_id = %s AND delivery_id = %s AND state = 'failed'"
    f" RETURNING {_COLUMNS}"
)
_CANCEL_OF_SUBSCRIPTION: Final = (
    "UPDATE deliveries SET state = 'cancelled' WHERE tenant_id = %s AND subscription_id = %s"
    " AND state = 'pending' RETURNING delivery_id"
)


def log_page_sql(*, by: str | None, after: bool, channel: bool, state: bool) -> str:
    """ListDeliveries' query, newest first: ``by`` "subscription" (index
    ``deliveries_of_subscription``), "recipient" (``deliveries_of_recipient``) or None
    (``deliveries_log``); channel and state are checked on the rows the index gives.
    Params in order: tenant, [subscription or recipient], [channel], [state],
    [after time, after id], limit."""
    where = ["tenant_id = %s"]
    if by == "subscription":
        where.append("subscription_id = %s")
    elif by == "recipient":
        where.append("recipient_id = %s")
    if channel:
        where.append("channel = %s")
    if state:
        where.append("state = %s")
    if after:
        where.append("(create_time, delivery_id) < (%s, %s)")
    if by == "subscription":
        where.append("subscription_id <> ''")  # the partial index's condition
    return (
        f"SELECT {_COLUMNS} FROM deliveries WHERE {' AND '.join(where)}"
        " ORDER BY create_time DESC, delivery_id DESC LIMIT %s"
    )


def _email(value: Any) -> EmailContent | None:
    return EmailContent(**value) if value is not None else None


def _webhook(value: Any) -> WebhookContent | None:
    return WebhookContent(value["body"], dict(value["headers"])) if value is not None else None


def _attempt(entry: Any) -> Attempt:
    return Attempt(
        time=datetime.fromisoformat(entry["time"]),
        ok=bool(entry["ok"]),
        status_code=int(entry["status_code"]),
        error=str(entry["error"]),
    )


def _attempt_json(attempt: Attempt) -> dict[str, Any]:
    return {
        "time": attempt.time.isoformat(),
        "ok": attempt.ok,
        "status_code": attempt.status_code,
        "error": attempt.error,
    }


def _delivery(tenant_id: str, row: Sequence[Any]) -> Delivery:
    return Delivery(
        id=row[0],
        tenant_id=tenant_id,
        channel=row[1],
        state=DeliveryState(row[2]),
        create_time=row[3],
        recipient_id=row[4],
        subscription_id=row[5],
        notification_id=row[6],
        event_type=row[7],
        category=row[8],
        source_event_id=row[9],
        attempts=row[10],
        last_error=row[11],
        next_attempt_at=row[12],
        email=_email(row[13]),
        webhook=_webhook(row[14]),
        log=tuple(_attempt(entry) for entry in row[15]),
        digest=(
            HeldDigest(DigestMode(row[16]), row[17], row[18], title=row[19], body=row[20])
            if row[16]
            else None
        ),
    )


class PostgresDeliveryRepository:
    """One tenant's deliveries, bound to a unit of work's connection."""

    def __init__(self, connection: AsyncConnection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id

    async def add_once(self, delivery: Delivery) -> bool:
        """Store; False when a delivery with the same (deterministic) id exists."""
        d = delivery
        email = None if d.email is None else Jsonb(vars(d.email))
        webhook = (
            None
            if d.webhook is None
            else Jsonb({"body": d.webhook.body, "headers": dict(d.webhook.headers)})
        )
        cursor = await self._connection.execute(
            _INSERT,
            (
                self._tenant,
                d.id,
                d.channel,
                d.state.value,
                d.create_time,
                d.recipient_id,
                d.subscription_id,
                d.notification_id,
                d.event_type,
                d.category,
                d.source_event_id,
                d.attempts,
                d.last_error,
                d.next_attempt_at,
                email,
                webhook,
                Jsonb([_attempt_json(a) for a in d.log]),
                d.digest.mode.value if d.digest else None,
                d.digest.send_at if d.digest else None,
                d.digest.key if d.digest else None,
                d.digest.title if d.digest else "",
                d.digest.body if d.digest else "",
            ),
        )
        return cursor.rowcount == 1

    async def get(self, delivery_id: str) -> Delivery | None:
        cursor = await self._connection.execute(BY_ID, (self._tenant, delivery_id))
        row = await cursor.fetchone()
        return _delivery(self._tenant, row) if row is not None else None

    async def record_attempt(
        self,
        delivery_id: str,
        attempt: Attempt,
        *,
        attempts: int,
        state: DeliveryState,
        next_attempt_at: datetime | None,
    ) -> None:
        """Append ``attempt`` to the log and set the delivery's new state."""
        value = state.value
        await self._connection.execute(
            _RECORD,
            (
                attempts,
                attempt.error,
                value,
                next_attempt_at,
                value,
                attempt.time,
                value,
                attempt.time,
                Jsonb([_attempt_json(attempt)]),
                self._tenant,
                delivery_id,
            ),
        )

    async def held_until(self, recipient_id: str, until: datetime) -> list[Delivery]:
        """The recipient's email held for digests going out by ``until``, oldest first
        (index ``deliveries_held``)."""
        cursor = await self._connection.execute(_HELD, (self._tenant, recipient_id, until))
        return [_delivery(self._tenant, row) for row in await cursor.fetchall()]

    async def next_held_send_at(self, recipient_id: str) -> datetime | None:
        """When the recipient's next digest goes out (None: nothing held)."""
        cursor = await self._connection.execute(_NEXT_HELD, (self._tenant, recipient_id))
        row = await cursor.fetchone()
        return None if row is None else row[0]

    async def mark_digested(self, delivery_ids: Sequence[str], digest_id: str) -> None:
        """Held email sent in the digest ``digest_id``."""
        await self._connection.execute(_DIGESTED, (digest_id, self._tenant, list(delivery_ids)))

    async def hold(self, delivery_id: str, until: datetime) -> None:
        """Not attempted (its webhook subscription is paused): shown due at ``until``."""
        await self._connection.execute(_HOLD, (until, self._tenant, delivery_id))

    async def page(
        self,
        *,
        subscription_id: str = "",
        recipient_id: str = "",
        channel: str = "",
        state: DeliveryState | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int,
    ) -> list[Delivery]:
        """The delivery log, newest first, by keyset (served by one of three indexes)."""
        by = "subscription" if subscription_id else "recipient" if recipient_id else None
        params: list[Any] = [self._tenant]
        if by is not None:
            params.append(subscription_id or recipient_id)
        if channel:
            params.append(channel)
        if state is not None:
            params.append(state.value)
        if after is not None:
            params.extend(after)
        params.append(limit)
        query = log_page_sql(
            by=by, after=after is not None, channel=bool(channel), state=state is not None
        )
        cursor = await self._connection.execute(query, params)
        return [_delivery(self._tenant, row) for row in await cursor.fetchall()]

    async def retry(self, delivery_id: str, now: datetime) -> Delivery | None:
        """A failed delivery pending again with a full series of attempts; None when it
        is not failed (any more)."""
        cursor = await self._connection.execute(_RETRY, (now, self._tenant, delivery_id))
        row = await cursor.fetchone()
        return _delivery(self._tenant, row) if row is not None else None

    async def cancel_pending_of_subscription(self, subscription_id: str) -> list[str]:
        """The subscription is gone: its pending deliveries never go; their ids."""
        cursor = await self._connection.execute(
            _CANCEL_OF_SUBSCRIPTION, (self._tenant, subscription_id)
        )
        return [delivery_id for (delivery_id,) in await cursor.fetchall()]
