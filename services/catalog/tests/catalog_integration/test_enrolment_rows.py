"""A consumer batch writes its enrolments' progress in one statement
(``save_progress``): each row gets its own steps, in their order, and nothing else
changes, in this tenant or another."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from agora_catalog.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_catalog.domain.learning import Step
from agora_catalog.domain.model import Enrolment
from agora_catalog.migrations import MIGRATIONS
from agora_core.postgres import Database
from agora_core.testing.postgres import migrated_database

pytestmark = pytest.mark.integration

AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
STEPS = (Step("i-1", True), Step("i-2", True), Step("i-3", False))


def enrolment(learner: str, path: str) -> Enrolment:
    return Enrolment(
        learner_id=learner,
        path_id=path,
        path_title="Onboarding",
        steps=STEPS,
        target_skills=(),
        completed_item_ids=(),
        self_enrolled=False,
        enrolled_at=AT,
        completed=False,
        completed_at=None,
    )


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as db:
        yield db


async def test_each_enrolment_gets_its_own_steps_in_order(database: Database) -> None:
    uows = PostgresUnitOfWorkFactory(database)
    keys = [("u-1", "p-1"), ("u-1", "p-2"), ("u-2", "p-1"), ("u-3", "p-1")]
    for tenant in ("acme", "globex"):
        async with uows(tenant) as uow:
            for learner, path in keys:
                assert await uow.enrolments.add(enrolment(learner, path))
    finished = AT.replace(hour=11)
    saved = [
        # Steps out of the path's order stay in the order they were done.
        dataclasses.replace(enrolment("u-1", "p-1"), completed_item_ids=("i-3", "i-1")),
        dataclasses.replace(
            enrolment("u-1", "p-2"),
            completed_item_ids=("i-2", "i-1"),
            completed=True,
            completed_at=finished,
        ),
        dataclasses.replace(enrolment("u-2", "p-1"), completed_item_ids=("i-2",)),
    ]
    async with uows("acme") as uow:
        await uow.enrolments.save_progress(saved)
        await uow.enrolments.save_progress([])
    async with uows("acme") as uow:
        acme = await uow.enrolments.get_many(keys)
    async with uows("globex") as uow:
        globex = await uow.enrolments.get_many(keys)
    progress = {key: (e.completed_item_ids, e.completed, e.completed_at) for key, e in acme.items()}
    assert progress == {
        ("u-1", "p-1"): (("i-3", "i-1"), False, None),
        ("u-1", "p-2"): (("i-2", "i-1"), True, finished),
        ("u-2", "p-1"): (("i-2",), False, None),
        ("u-3", "p-1"): ((), False, None),
    }
    assert globex == {key: enrolment(*key) for key in keys}
