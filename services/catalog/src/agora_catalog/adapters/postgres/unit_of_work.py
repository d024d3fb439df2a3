"""The catalog's unit of work on PostgreSQL: one transaction of one tenant, with every
repository bound to its connection (API calls open one; consumers wrap the batch's)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from agora_catalog.adapters.postgres.assignments import PostgresAssignmentRepository
from agora_catalog.adapters.postgres.items import PostgresItemRepository
from agora_catalog.adapters.postgres.paths import (
    PostgresEnrolmentRepository,
    PostgresPathRepository,
)
from agora_catalog.adapters.postgres.popularity import PostgresPopularityRepository
from agora_catalog.adapters.postgres.progress import PostgresProgressRepository
from agora_catalog.adapters.postgres.quizzes import (
    PostgresQuizAttemptRepository,
    PostgresSkillsReport,
)
from agora_catalog.adapters.postgres.search import PostgresItemSearch
from agora_catalog.adapters.postgres.taxonomy import PostgresTaxonomyRepository
from agora_core.messaging.events import OutgoingEvent
from agora_core.postgres import Database
from agora_core.postgres.request_ids import PostgresRequestIds
from agora_core.postgres.unit_of_work import UnitOfWork as CoreUnitOfWork


class CatalogUnitOfWork:
    """The repositories of one tenant on an open core unit of work."""

    def __init__(self, core: CoreUnitOfWork, tenant_id: str) -> None:
        self._core = core
        self.tenant_id = tenant_id
        c = core.connection
        self.taxonomy = PostgresTaxonomyRepository(c, tenant_id)
        self.items = PostgresItemRepository(c, tenant_id)
        self.search = PostgresItemSearch(c, tenant_id)
        self.paths = PostgresPathRepository(c, tenant_id)
        self.enrolments = PostgresEnrolmentRepository(c, tenant_id)
        self.progress = PostgresProgressRepository(c, tenant_id)
        self.assignments = PostgresAssignmentRepository(c, tenant_id)
        self.quizzes = PostgresQuizAttemptRepository(c, tenant_id)
        self.report = PostgresSkillsReport(c, tenant_id)
        self.popularity = PostgresPopularityRepository(c, tenant_id)
        self.request_ids = PostgresRequestIds(c, tenant_id)

    def add_events(self, events: Sequence[OutgoingEvent]) -> None:
        self._core.add_events(events)


class PostgresUnitOfWorkFactory:
    """Opens ``database.unit_of_work(tenant)`` and binds the repositories to it."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @asynccontextmanager
    async def __call__(
        self, tenant_id: str, *, pipelined: bool = False
    ) -> AsyncIterator[CatalogUnitOfWork]:
        async with self._database.unit_of_work(tenant_id, pipelined=pipelined) as core:
            yield CatalogUnitOfWork(core, tenant_id)


async def on_batch(core: CoreUnitOfWork, tenant_id: str) -> CatalogUnitOfWork:
    """The repositories of ``tenant_id`` on a consumer batch's unit of work (scoped)."""
    await core.set_tenant(tenant_id)
    return CatalogUnitOfWork(core, tenant_id)
