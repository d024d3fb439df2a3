"""The xAPI projection on PostgreSQL: a projected event stores its statement and
writes one ``StatementProjectedV1`` outbox row in the same unit of work; projecting it
again (a redelivery) stores and emits nothing; an event without xAPI meaning neither;
the retention purge visits the tenants this process projected for."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agora_contracts.events.domains import learning
from agora_contracts.events.schemas import load_platform_events
from agora_core.messaging.events import ReceivedEvent
from agora_core.postgres import Database
from agora_core.testing.postgres import migrated_database
from agora_notifications.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_notifications.domain.xapi_profiles import XapiProfiles
from agora_notifications.migrations import MIGRATIONS
from agora_notifications.service_layer.xapi_projection import XapiProjection, purge_stored

from .received import received

pytestmark = pytest.mark.integration

T = "t-xapi-projection"
AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = AT

    def now(self) -> datetime:
        return self.at


def _received(payload: Any, subject: str = "u-ada") -> ReceivedEvent[Any]:
    return received(payload, tenant=T, subject=subject)


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as migrated:
        yield migrated


async def test_one_statement_event_per_projected_event(database: Database) -> None:
    units = PostgresUnitOfWorkFactory(database)
    clock = Clock()
    projection = XapiProjection(
        profiles=XapiProfiles(
            home_page="https://lms.example/{tenant}",
            home_pages={},
            activity_base="{home_page}/xapi/activities",
            extension_base="https://lms.example/xapi/extensions",
        ),
        registry=load_platform_events(),
        clock=clock,
    )
    started = _received(
        learning.KnowledgeStartedV1(
            learner_id="u-ada",
            item_id="k-1",
            item_type="video",
            item_title="Intro",
            started_at=AT,
        )
    )
    enrolled = _received(
        learning.PathEnrolledV1(
            learner_id="u-ada",
            path_id="p-1",
            path_title="Onboarding",
            self_enrolled=True,
            enrolled_at=AT,
        )
    )
    answers = []
    for event in (started, started, enrolled):
        async with units(T) as uow:
            answers.append(await projection.handle(event, uow))
    assert answers == [True, False, False], "a redelivery, or no xAPI meaning: nothing"

    async with units(T) as uow:
        stored = await uow.xapi_statements.of_actor("u-ada")
    async with database.unit_of_work(T) as core:
        cursor = await core.connection.execute(
            "SELECT type, id::text, aggregateid, tenant_id FROM outbox"
        )
        outbox = await cursor.fetchall()
    assert len(stored) == 1
    assert stored[0]["actor"]["account"]["name"] == "u-ada"
    assert outbox == [("org.agora.xapi.statement.projected.v1", stored[0]["id"], "u-ada", T)]
    assert projection.tenants == {T}

    purged = [n async for n in purge_stored(projection, units, AT - timedelta(minutes=1))]
    assert purged == [0], "kept within the retention window"
    clock.at = AT + timedelta(hours=2)
    purged = [n async for n in purge_stored(projection, units, AT + timedelta(hours=1))]
    assert purged == [1]
    async with units(T) as uow:
        assert await uow.xapi_statements.of_actor("u-ada") == []
