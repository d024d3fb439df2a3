"""The unit of work on PostgreSQL: one transaction, every repository bound to it; and
the cross-tenant claims of due deliveries, in short transactions of their own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from agora_core.messaging.events import OutgoingEvent
from agora_core.postgres import Database
from agora_core.postgres import UnitOfWork as CoreUnitOfWork
from agora_core.postgres.request_ids import PostgresRequestIds
from agora_notifications.adapters.postgres.catalog import PostgresCatalogRepository
from agora_notifications.adapters.postgres.deliveries import PostgresDeliveryRepository
from agora_notifications.adapters.postgres.delivery_queue import PostgresDeliveryQueue
from agora_notifications.adapters.postgres.inbox import PostgresInboxRepository
from agora_notifications.adapters.postgres.people import PostgresPeopleRepository
from agora_notifications.adapters.postgres.preferences import PostgresPreferenceRepository
from agora_notifications.adapters.postgres.schedule_queues import PostgresScheduleSlots
from agora_notifications.adapters.postgres.tracked_work import PostgresTrackedWorkRepository
from agora_notifications.adapters.postgres.webhook_subscriptions import (
    PostgresWebhookSubscriptions,
)
from agora_notifications.adapters.postgres.xapi_statements import PostgresXapiStatementRepository
from agora_notifications.domain.delivery_queue import DeliveryClaim


class NotificationsUnitOfWork:
    """Notifications' repositories on one core unit of work (one tenant, one
    transaction); consumers build it on the batch's core unit of work."""

    def __init__(self, core: CoreUnitOfWork, tenant_id: str) -> None:
        connection = core.connection
        self._core = core
        self.tenant_id = tenant_id
        self.inbox = PostgresInboxRepository(connection, tenant_id)
        self.people = PostgresPeopleRepository(connection, tenant_id)
        self.preferences = PostgresPreferenceRepository(connection, tenant_id)
        self.deliveries = PostgresDeliveryRepository(connection, tenant_id)
        self.tracked_work = PostgresTrackedWorkRepository(connection, tenant_id)
        self.catalog = PostgresCatalogRepository(connection, tenant_id)
        self.xapi_statements = PostgresXapiStatementRepository(connection, tenant_id)
        self.delivery_queue = PostgresDeliveryQueue(connection)
        self.schedule_slots = PostgresScheduleSlots(connection)
        self.webhook_subscriptions = PostgresWebhookSubscriptions(connection, tenant_id)
        self.request_ids = PostgresRequestIds(connection, tenant_id)

    def add_events(self, events: Sequence[OutgoingEvent]) -> None:
        self._core.add_events(events)


async def bound(core: CoreUnitOfWork, tenant_id: str) -> NotificationsUnitOfWork:
    """Notifications' repositories on a consumer batch's unit of work, scoped to
    ``tenant_id`` (the batch moves from tenant to tenant)."""
    await core.set_tenant(tenant_id)
    return NotificationsUnitOfWork(core, tenant_id)


class PostgresUnitOfWorkFactory:
    """Opens ``database.unit_of_work(tenant)`` and binds the repositories to it."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @asynccontextmanager
    async def __call__(self, tenant_id: str) -> AsyncIterator[NotificationsUnitOfWork]:
        async with self._database.unit_of_work(tenant_id) as core:
            yield NotificationsUnitOfWork(core, tenant_id)


class PostgresDeliveryClaims:
    """Claims due deliveries across tenants: the queue holds no personal data and has
    no row-level security, so this transaction sets no tenant."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def claim(
        self, now: datetime, *, limit: int, lease: timedelta, owner: uuid.UUID
    ) -> list[DeliveryClaim]:
        async with self._database.unit_of_work() as core:
            queue = PostgresDeliveryQueue(core.connection)
            return await queue.claim(now, limit=limit, lease=lease, owner=owner)
