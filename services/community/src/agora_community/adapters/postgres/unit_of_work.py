"""The unit of work on PostgreSQL: one transaction, every repository bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from agora_community.adapters.postgres.comments import (
    PostgresCommentRepository,
    PostgresTargetRepository,
)
from agora_community.adapters.postgres.erasures import PostgresErasureRecords
from agora_community.adapters.postgres.experts import PostgresExpertRepository
from agora_community.adapters.postgres.likes import (
    PostgresLikeRepository,
    PostgresPopularityRepository,
)
from agora_community.adapters.postgres.moderation import (
    PostgresContentRepository,
    PostgresReportRepository,
)
from agora_community.adapters.postgres.people import PostgresPeopleDirectory
from agora_community.adapters.postgres.questions import (
    PostgresAnswerRepository,
    PostgresQuestionRepository,
)
from agora_community.adapters.postgres.rate_limits import PostgresRateLimitRepository
from agora_community.adapters.postgres.spaces import (
    PostgresMembershipRepository,
    PostgresSpaceRepository,
)
from agora_core.messaging.events import OutgoingEvent
from agora_core.postgres import Database
from agora_core.postgres import UnitOfWork as CoreUnitOfWork
from agora_core.postgres.request_ids import PostgresRequestIds


class CommunityUnitOfWork:
    """Community's repositories on one core unit of work (one tenant, one transaction)."""

    def __init__(self, core: CoreUnitOfWork, tenant_id: str) -> None:
        connection = core.connection
        self._core = core
        self._tenant_id = tenant_id
        self.spaces = PostgresSpaceRepository(connection, tenant_id)
        self.memberships = PostgresMembershipRepository(connection, tenant_id)
        self.targets = PostgresTargetRepository(connection, tenant_id)
        self.comments = PostgresCommentRepository(connection, tenant_id)
        self.likes = PostgresLikeRepository(connection, tenant_id)
        self.popularity = PostgresPopularityRepository(connection, tenant_id)
        self.questions = PostgresQuestionRepository(connection, tenant_id)
        self.answers = PostgresAnswerRepository(connection, tenant_id)
        self.experts = PostgresExpertRepository(connection, tenant_id)
        self.reports = PostgresReportRepository(connection, tenant_id)
        self.content = PostgresContentRepository(connection, tenant_id)
        self.rate_limits = PostgresRateLimitRepository(connection, tenant_id)
        self.erasures = PostgresErasureRecords(connection, tenant_id)
        self.request_ids = PostgresRequestIds(connection, tenant_id)
        self.people = PostgresPeopleDirectory(connection, tenant_id)

    @property
    def tenant_id(self) -> str:
        return self._tenant_id

    def add_events(self, events: Sequence[OutgoingEvent]) -> None:
        self._core.add_events(events)


class PostgresUnitOfWorkFactory:
    """Opens a community unit of work of a tenant on the service's database."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @asynccontextmanager
    async def __call__(
        self, tenant_id: str, *, pipelined: bool = False
    ) -> AsyncIterator[CommunityUnitOfWork]:
        async with self._database.unit_of_work(tenant_id, pipelined=pipelined) as core:
            yield CommunityUnitOfWork(core, tenant_id)


async def bound(core: CoreUnitOfWork, tenant_id: str) -> CommunityUnitOfWork:
    """Community's repositories on a consumer batch's unit of work, scoped to ``tenant_id``."""
    await core.set_tenant(tenant_id)
    return CommunityUnitOfWork(core, tenant_id)
