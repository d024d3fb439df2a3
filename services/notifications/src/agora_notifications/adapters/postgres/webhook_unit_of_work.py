"""The webhook subscriptions' unit of work: one PostgreSQL transaction of one tenant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from agora_core.postgres import Database
from agora_notifications.adapters.postgres.webhook_subscriptions import (
    PostgresWebhookSubscriptions,
)


@dataclass(frozen=True)
class PostgresWebhookUnitOfWork:
    """The repositories bound to one transaction's connection."""

    webhook_subscriptions: PostgresWebhookSubscriptions


class PostgresWebhookUnitOfWorkFactory:
    """Opens ``database.unit_of_work(tenant)`` and binds the repositories to it."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @asynccontextmanager
    async def __call__(self, tenant_id: str) -> AsyncIterator[PostgresWebhookUnitOfWork]:
        async with self._database.unit_of_work(tenant_id) as uow:
            yield PostgresWebhookUnitOfWork(PostgresWebhookSubscriptions(uow.connection, tenant_id))
