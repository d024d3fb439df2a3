"""Webhook subscriptions and their signing secrets in PostgreSQL, one tenant at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from psycopg import AsyncConnection

from agora_notifications.domain.webhooks import WebhookSecret, WebhookSubscription

_SELECT: Final = (
    "SELECT subscription_id, url, event_types, subjects, description, paused, created_at, "
    "updated_at FROM webhook_subscriptions WHERE tenant_id = %s "
)
GET: Final = _SELECT + "AND subscription_id = %s"
GET_FOR_UPDATE: Final = GET + " FOR UPDATE"
FIRST_PAGE: Final = _SELECT + "ORDER BY created_at, subscription_id LIMIT %s"
NEXT_PAGE: Final = (
    _SELECT + "AND (created_at, subscription_id) > (%s, %s) "
    "ORDER BY created_at, subscription_id LIMIT %s"
)
ALL_OF_TENANT: Final = _SELECT + "ORDER BY created_at, subscription_id"
SECRETS_OF: Final = (
    "SELECT subscription_id, secret_id, value, created_at, expires_at "
    "FROM webhook_secrets WHERE tenant_id = %s AND subscription_id = ANY(%b::text[]) "
    "AND (expires_at IS NULL OR expires_at > now()) "
    "ORDER BY subscription_id, created_at, secret_id"
)


class PostgresWebhookSubscriptions:
    """The :class:`~agora_notifications.service_layer.ports.WebhookSubscriptions` of one
    tenant on a connection inside its unit of work (row-level security applies too)."""

    def __init__(self, connection: AsyncConnection[Any], tenant_id: str) -> None:
        self._connection = connection
        self._tenant_id = tenant_id

    async def count(self) -> int:
        cursor = await self._connection.execute(
            "SELECT count(*) FROM webhook_subscriptions WHERE tenant_id = %s", (self._tenant_id,)
        )
        row = await cursor.fetchone()
        return int(row[0]) if row is not None else 0

    async def add(self, subscription: WebhookSubscription) -> None:
        s = subscription
        await self._connection.execute(
            "INSERT INTO webhook_subscriptions (tenant_id, subscription_id, url, event_types, "
            "subjects, description, paused, created_at, updated_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                self._tenant_id,
                s.subscription_id,
                s.url,
                list(s.event_types),
                list(s.subjects),
                s.description,
                s.paused,
                s.created_at,
                s.updated_at,
            ),
        )
        for secret in s.secrets:
            await self.add_secret(s.subscription_id, secret)

    async def get(
        self, subscription_id: str, *, for_update: bool = False
    ) -> WebhookSubscription | None:
        cursor = await self._connection.execute(
            GET_FOR_UPDATE if for_update else GET, (self._tenant_id, subscription_id)
        )
        row = await cursor.fetchone()
        if row is None:
            return None
        secrets = await self._secrets([subscription_id])
        return _subscription(row, secrets.get(subscription_id, ()))

    async def page(
        self, after: tuple[datetime, str] | None, limit: int
    ) -> list[WebhookSubscription]:
        if after is None:
            cursor = await self._connection.execute(FIRST_PAGE, (self._tenant_id, limit))
        else:
            cursor = await self._connection.execute(
                NEXT_PAGE, (self._tenant_id, after[0], after[1], limit)
            )
        rows = await cursor.fetchall()
        secrets = await self._secrets([row[0] for row in rows])
        return [_subscription(row, secrets.get(row[0], ())) for row in rows]

    async def routing(self) -> list[WebhookSubscription]:
        cursor = await self._connection.execute(ALL_OF_TENANT, (self._tenant_id,))
        return [_subscription(row, ()) for row in await cursor.fetchall()]

    async def save(self, subscription: WebhookSubscription) -> None:
        s = subscription
        await self._connection.execute(
            "UPDATE webhook_subscriptions SET url = %s, event_types = %s, subjects = %s, "
            "description = %s, paused = %s, updated_at = %s "
            "WHERE tenant_id = %s AND subscription_id = %s",
            (
                s.url,
                list(s.event_types),
                list(s.subjects),
                s.description,
                s.paused,
                s.updated_at,
                self._tenant_id,
                s.subscription_id,
            ),
        )

    async def add_secret(self, subscription_id: str, secret: WebhookSecret) -> None:
        await self._connection.execute(
            "INSERT INTO webhook_secrets "
            "(tenant_id, subscription_id, secret_id, value, created_at, expires_at) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            (
                self._tenant_id,
                subscription_id,
                secret.secret_id,
                secret.value,
                secret.created_at,
                secret.expires_at,
            ),
        )

    async def expire_secrets(
        self, subscription_id: str, *, keep: str, at: datetime, now: datetime
    ) -> None:
        await self._connection.execute(
            "DELETE FROM webhook_secrets WHERE tenant_id = %s AND subscription_id = %s "
            "AND secret_id <> %s AND expires_at <= %s",
            (self._tenant_id, subscription_id, keep, now),
        )
        await self._connection.execute(
            "UPDATE webhook_secrets SET expires_at = LEAST(coalesce(expires_at, %s), %s) "
            "WHERE tenant_id = %s AND subscription_id = %s AND secret_id <> %s",
            (at, at, self._tenant_id, subscription_id, keep),
        )

    async def delete(self, subscription_id: str) -> bool:
        cursor = await self._connection.execute(
            "DELETE FROM webhook_subscriptions WHERE tenant_id = %s AND subscription_id = %s",
            (self._tenant_id, subscription_id),
        )
        return cursor.rowcount > 0

    async def _secrets(self, ids: Sequence[str]) -> dict[str, tuple[WebhookSecret, ...]]:
        """The secrets not yet expired of these subscriptions, oldest first."""
        if not ids:
            return {}
        cursor = await self._connection.execute(SECRETS_OF, (self._tenant_id, list(ids)))
        found: dict[str, list[WebhookSecret]] = {}
        for subscription_id, secret_id, value, created_at, expires_at in await cursor.fetchall():
            found.setdefault(subscription_id, []).append(
                WebhookSecret(secret_id, value, created_at, expires_at)
            )
        return {key: tuple(value) for key, value in found.items()}


def _subscription(row: Sequence[Any], secrets: tuple[WebhookSecret, ...]) -> WebhookSubscription:
    subscription_id, url, event_types, subjects, description, paused, created, updated = row
    return WebhookSubscription(
        subscription_id=subscription_id,
        url=url,
        event_types=tuple(event_types),
        subjects=tuple(subjects),
        description=description,
        created_at=created,
        updated_at=updated,
        paused=paused,
        secrets=secrets,
    )
