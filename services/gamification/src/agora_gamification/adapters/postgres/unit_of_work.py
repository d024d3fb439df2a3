"""The gamification unit of work on PostgreSQL: the core unit of work (one transaction,
outbox rows written at commit) with the service's repositories bound to its connection.

The gRPC side opens one per call (:class:`PostgresUnitOfWorkFactory`); consumers wrap
the batch's core unit of work (:func:`bind`) after scoping it to a tenant.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from agora_core.idempotency import RequestIds
from agora_core.messaging.events import OutgoingEvent
from agora_core.postgres import Database
from agora_core.postgres.request_ids import PostgresRequestIds
from agora_core.postgres.unit_of_work import UnitOfWork as CoreUnitOfWork
from agora_gamification.adapters.postgres.awards import PostgresAwardRepository
from agora_gamification.adapters.postgres.boards import PostgresBoardRepository
from agora_gamification.adapters.postgres.challenges import (
    PostgresChallengeRepository,
    due_challenges,
)
from agora_gamification.adapters.postgres.config import PostgresConfigRepository
from agora_gamification.adapters.postgres.ledger import PostgresLedgerRepository
from agora_gamification.adapters.postgres.memberships import PostgresMembershipRepository
from agora_gamification.adapters.postgres.profiles import PostgresProfileRepository
from agora_gamification.adapters.postgres.retention import (
    PostgresRetentionRepository,
    retention_tenants,
)
from agora_gamification.service_layer.ports import (
    AwardRepository,
    BoardRepository,
    ChallengeRepository,
    ConfigRepository,
    LedgerRepository,
    MembershipRepository,
    ProfileRepository,
    RetentionRepository,
)


class PostgresUnitOfWork:
    """The repositories of one tenant on one open transaction."""

    def __init__(self, core: CoreUnitOfWork, tenant_id: str) -> None:
        connection = core.connection
        self._core = core
        self.tenant_id = tenant_id
        self.config: ConfigRepository = PostgresConfigRepository(connection, tenant_id)
        self.profiles: ProfileRepository = PostgresProfileRepository(connection, tenant_id)
        self.ledger: LedgerRepository = PostgresLedgerRepository(connection, tenant_id)
        self.retention: RetentionRepository = PostgresRetentionRepository(connection, tenant_id)
        self.awards: AwardRepository = PostgresAwardRepository(connection, tenant_id)
        self.boards: BoardRepository = PostgresBoardRepository(connection, tenant_id)
        self.memberships: MembershipRepository = PostgresMembershipRepository(connection, tenant_id)
        self.challenges: ChallengeRepository = PostgresChallengeRepository(connection, tenant_id)
        self.request_ids: RequestIds = PostgresRequestIds(connection, tenant_id)

    def add_events(self, events: Sequence[OutgoingEvent]) -> None:
        self._core.add_events(events)


async def bind(core: CoreUnitOfWork, tenant_id: str) -> PostgresUnitOfWork:
    """A consumer batch's unit of work, scoped to ``tenant_id`` from now on."""
    await core.set_tenant(tenant_id)
    return PostgresUnitOfWork(core, tenant_id)


class PostgresUnitOfWorkFactory:
    """Opens one transaction per use case call."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @asynccontextmanager
    async def __call__(self, tenant_id: str) -> AsyncIterator[PostgresUnitOfWork]:
        async with self._database.unit_of_work(tenant_id) as core:
            yield PostgresUnitOfWork(core, tenant_id)

    async def due_challenges(self, now: dt.datetime, limit: int) -> list[tuple[str, str]]:
        """Passed deadlines of every tenant (a table without row-level security)."""
        async with self._database.unit_of_work() as core:
            return await due_challenges(core.connection, now, limit)

    async def retention_tenants(self) -> list[str]:
        """Tenants with a ledger retention (a table without row-level security)."""
        async with self._database.unit_of_work() as core:
            return await retention_tenants(core.connection)
