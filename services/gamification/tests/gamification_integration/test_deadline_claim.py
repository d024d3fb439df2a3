"""Two replicas' deadline sweepers race for the same expired challenges on the real
database: each challenge is closed, and its challenge.completed written, exactly once."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest

from agora_core.identity import Principal
from agora_core.postgres import Database
from agora_core.testing.postgres import migrated_database
from agora_gamification.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_gamification.domain.challenges import NewChallenge
from agora_gamification.migrations import MIGRATIONS
from agora_gamification.service_layer.challenges import Challenges

from .storage import rows
from .streams import T0

pytestmark = pytest.mark.integration


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as db:
        yield db


async def test_two_sweepers_close_each_challenge_once(database: Database) -> None:
    def clock() -> dt.datetime:
        return T0 + dt.timedelta(days=2)

    def replica() -> Challenges:
        uow = PostgresUnitOfWorkFactory(database)
        return Challenges(uow, uow.due_challenges, clock)

    replicas = [replica(), replica()]
    for n in range(5):
        await replicas[0].create(
            Principal("ann", "acme"),
            NewChallenge(
                title=f"c{n}",
                scope="person",
                event_type="org.agora.learning.knowledge.completed.v1",
                target=10,
                starts_at=T0,
                ends_at=T0 + dt.timedelta(days=1),
            ),
        )
    # The outbox keeps what was written: no relay runs here.
    closed = await asyncio.gather(*(r.close_due() for r in replicas for _ in range(3)))
    assert sum(closed) == 5
    states = await rows(database, "acme", "SELECT state, outcome FROM challenges")
    assert states == [("completed", "deadline_passed")] * 5
    completed = await rows(
        database,
        "acme",
        "SELECT aggregateid FROM outbox "
        "WHERE type = 'org.agora.gamification.challenge.completed.v1'",
    )
    assert sorted(completed) == sorted(set(completed))
    assert len(completed) == 5
    counters = await rows(database, "acme", "SELECT open_challenges FROM tenant_config")
    assert counters == [(0,)]
