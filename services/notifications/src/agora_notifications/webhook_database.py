"""The PostgreSQL database of the webhook subscriptions while the rest of the service
still stores in MongoDB (transitional).

The shared runtime serves either MongoDB or PostgreSQL, not both; until the service's
storage move lands, the subscriptions get their own pool here, opened (and, in
development, migrated) before the runtime starts. Once the whole service is on
PostgreSQL, bootstrap passes ``runtime.require_postgres()`` to the webhook repositories
and this module goes.
"""

from __future__ import annotations

from agora_core.postgres import Database, create_pool
from agora_core.postgres.startup import migrate_when_reachable
from agora_notifications.migrations import MIGRATIONS
from agora_notifications.settings import NotificationsSettings


class WebhookDatabase:
    """A pool on ``postgres_dsn`` and the unit of work on it."""

    def __init__(self, settings: NotificationsSettings) -> None:
        self._settings = settings
        self.database = Database(
            create_pool(
                settings.postgres_dsn.get_secret_value(),
                application_name=f"agora-{settings.service_name}-webhooks",
                min_size=settings.postgres_pool_min_size,
                max_size=settings.postgres_pool_max_size,
                timeout=settings.postgres_pool_timeout_seconds,
            )
        )

    async def start(self) -> None:
        if self._settings.postgres_migrate_on_start:
            await migrate_when_reachable(MIGRATIONS, self._settings.postgres_dsn.get_secret_value())
        await self.database.pool.open(wait=False)

    async def stop(self) -> None:
        await self.database.pool.close()
