"""Right to erasure in the catalog: person.erased through the real broker, read back
from the service's own database.

The erased person plays every role at once (learner, author, skill expert, manager
who assigns), in two tenants; only the event's tenant loses them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from psycopg.rows import dict_row

from agora.catalog.v1 import catalog_pb2 as pb
from agora_catalog.bootstrap import build
from agora_catalog.settings import CatalogSettings
from agora_contracts.events.domains.learning import KnowledgeCompletedV1
from agora_contracts.events.domains.privacy import ERASED_PERSON_PLACEHOLDER, PersonErasedV1
from agora_contracts.events.schemas import load_platform_events
from agora_core.messaging.events import OutgoingEvent
from agora_core.postgres import Database
from agora_core.privacy import person_digest
from agora_core.privacy.postgres import RUNTIME_TABLES
from agora_core.privacy.scrub import mentions_person
from agora_core.runtime import ServiceRuntime
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events, start_group_at_end
from agora_core.testing.service_harness import running_service, test_settings

from .helpers import LEARNER, MANAGER, Tenant, quiz, timestamp, wiki

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def catalog_runtime(kafka_bootstrap: str, catalog_dsn: str) -> AsyncIterator[ServiceRuntime]:
    """This module's catalog, in its own consumer group started at the end of every
    topic: it handles only what the module publishes, not the broker's history."""
    settings = test_settings(
        CatalogSettings,
        kafka=kafka_bootstrap,
        postgres_dsn=catalog_dsn,
        consumer_group=f"agora-catalog-erasure-test-{uuid.uuid4().hex[:8]}",
    )
    await start_group_at_end(kafka_bootstrap, settings.group_id, load_platform_events().topics())
    async with running_service(build, settings) as runtime:
        yield runtime


WAIT = 120.0


def erased_event(
    tenant: str, person: str, *, reason: str = "data_subject_request"
) -> OutgoingEvent:
    """person.erased as community publishes it."""
    return OutgoingEvent.create(
        PersonErasedV1.model_validate(
            {
                "erasure_id": uuid.uuid4().hex,
                "person_id": person,
                "requested_by": "u-admin",
                "reason": reason,
                "requested_at": datetime.now(UTC),
            }
        ),
        source="/agora/community",
        subject=person,
        tenant_id=tenant,
        actor_id="u-admin",
    )


async def erased(database: Database, tenant: str, person: str) -> bool:
    async with database.unit_of_work(tenant) as uow:
        cursor = await uow.connection.execute(
            "SELECT 1 FROM erased_persons WHERE digest = %s", (person_digest(tenant, person),)
        )
        return await cursor.fetchone() is not None


async def processed(database: Database, tenant: str, event_id: str) -> bool:
    async with database.unit_of_work(tenant) as uow:
        cursor = await uow.connection.execute(
            "SELECT 1 FROM processed_events WHERE event_id::text = %s", (event_id,)
        )
        return await cursor.fetchone() is not None


async def tenant_rows(database: Database, tenant: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of the tenant in the catalog's own tables."""
    snapshot: dict[str, list[dict[str, Any]]] = {}
    async with database.unit_of_work(tenant) as uow:
        cursor = await uow.connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "ORDER BY table_name"
        )
        tables = [row[0] for row in await cursor.fetchall() if row[0] not in RUNTIME_TABLES]
        for table in tables:
            async with uow.connection.cursor(row_factory=dict_row) as rows:
                await rows.execute(f"SELECT * FROM {table} WHERE tenant_id = %s", (tenant,))  # noqa: S608
                found = [dict(row) for row in await rows.fetchall()]
                snapshot[table] = sorted(found, key=repr)
    return snapshot


async def traces_of(database: Database, person: str, tenant: str) -> list[str]:
    """Where the tenant's rows still hold ``person`` (as a whole token, in any column)."""
    return [
        f"{table}.{column}"
        for table, rows in (await tenant_rows(database, tenant)).items()
        for row in rows
        for column, value in row.items()
        if mentions_person(str(value), person)
    ]


async def life_of(t: Tenant, pat: str) -> dict[str, str]:
    """Pat learns, authors, reviews SQL as an expert and assigns work, in tenant ``t``."""
    s = t.stub
    as_pat = t.as_(pat, "learner", "contributor", "manager")
    await s.UpsertSkill(
        pb.UpsertSkillRequest(skill_id="sql", name="SQL", expert_ids=["u-linus", pat]),
        metadata=t.admin,
    )
    item = await t.publish(wiki(title="Indexes", skills=[("sql", 2)]))
    test = await t.publish(quiz())
    draft = await t.create(wiki(title=f"Notes by {pat}", skills=[("sql", 1)]), who=as_pat)
    path = await t.published_path([(item.item_id, True)])
    await s.StartItem(pb.StartItemRequest(item_id=item.item_id), metadata=as_pat)
    await s.CompleteItem(pb.CompleteItemRequest(item_id=item.item_id), metadata=as_pat)
    await s.SubmitQuizAttempt(
        pb.SubmitQuizAttemptRequest(
            item_id=test.item_id,
            answers=[
                pb.QuizAnswer(question_id="q1", choice_ids=["b"]),
                pb.QuizAnswer(question_id="q2", choice_ids=["a", "b"]),
            ],
        ),
        metadata=as_pat,
    )
    await s.EnrolInPath(pb.EnrolInPathRequest(path_id=path.path_id), metadata=as_pat)
    await s.CreateAssignments(
        pb.CreateAssignmentsRequest(
            learner_ids=[pat],
            target_kind=pb.TARGET_KIND_KNOWLEDGE,
            target_id=test.item_id,
            due_at=timestamp(timedelta(days=7)),
        ),
        metadata=t.as_(MANAGER, "manager"),
    )
    await s.CreateAssignments(
        pb.CreateAssignmentsRequest(
            learner_ids=[LEARNER],
            target_kind=pb.TARGET_KIND_KNOWLEDGE,
            target_id=item.item_id,
            due_at=timestamp(timedelta(days=7)),
        ),
        metadata=as_pat,
    )
    return {"item": item.item_id, "draft": draft.item_id, "path": path.path_id}


async def test_person_erased_deletes_the_learner_and_anonymises_the_author(
    tenant: Tenant, catalog_runtime: ServiceRuntime, kafka_bootstrap: str
) -> None:
    db = catalog_runtime.require_postgres()
    other = Tenant(stub=tenant.stub, tenant_id=f"{tenant.tenant_id}-b", runtime=catalog_runtime)
    await other.seed_taxonomy()
    pat = f"u-pat-{uuid.uuid4().hex[:6]}"
    ids = await life_of(tenant, pat)
    await life_of(other, pat)
    assert len(await traces_of(db, pat, tenant.tenant_id)) >= 8

    event = erased_event(tenant.tenant_id, pat)
    await publish_events(kafka_bootstrap, [event])

    async def done() -> bool:
        return await erased(db, tenant.tenant_id, pat)

    await eventually(done, timeout=WAIT)
    assert await traces_of(db, pat, tenant.tenant_id) == []
    assert len(await traces_of(db, pat, other.tenant_id)) >= 8

    t = tenant.tenant_id
    rows = await tenant_rows(db, t)
    for learner_records in ("progress", "quiz_attempts", "enrolments"):
        assert rows[learner_records] == []
    # The assignment made *to* Pat is gone; the one Pat made stays, anonymously.
    [kept] = rows["assignments"]
    assert kept["learner_id"] == LEARNER
    assert kept["assigned_by"] == ERASED_PERSON_PLACEHOLDER
    draft = await tenant.stub.GetItem(
        pb.GetItemRequest(item_id=ids["draft"]), metadata=tenant.admin
    )
    assert draft.item.author_id == ERASED_PERSON_PLACEHOLDER
    assert draft.item.title == f"Notes by {ERASED_PERSON_PLACEHOLDER}"
    skills = await tenant.stub.ListSkills(pb.ListSkillsRequest(), metadata=tenant.admin)
    [sql] = [skill for skill in skills.skills if skill.skill_id == "sql"]
    assert list(sql.expert_ids) == ["u-linus"]

    # Redelivered under a new event id: the handler runs again and changes nothing.
    again = erased_event(t, pat)
    await publish_events(kafka_bootstrap, [again])

    async def ran_again() -> bool:
        return await processed(db, t, again.event_id)

    await eventually(ran_again, timeout=WAIT)
    assert await tenant_rows(db, t) == rows


async def test_a_late_completion_of_an_erased_learner_is_dropped(
    tenant: Tenant, catalog_runtime: ServiceRuntime, kafka_bootstrap: str
) -> None:
    db = catalog_runtime.require_postgres()
    t = tenant.tenant_id
    pat = f"u-pat-{uuid.uuid4().hex[:6]}"
    item = await tenant.publish(wiki(title="Joins", skills=[("sql", 2)]))
    path = await tenant.published_path([(item.item_id, True)])
    await tenant.stub.EnrolInPath(
        pb.EnrolInPathRequest(path_id=path.path_id), metadata=tenant.as_(pat)
    )
    await publish_events(kafka_bootstrap, [erased_event(t, pat)])

    async def done() -> bool:
        return await erased(db, t, pat)

    await eventually(done, timeout=WAIT)
    late = OutgoingEvent.create(
        KnowledgeCompletedV1(
            learner_id=pat,
            item_id=item.item_id,
            item_type="wiki",
            item_title="Joins",
            completed_at=datetime.now(UTC),
        ),
        source="/agora/catalog",
        subject=pat,
        tenant_id=t,
        actor_id=pat,
    )
    await publish_events(kafka_bootstrap, [late])

    async def handled() -> bool:
        return await processed(db, t, late.event_id)

    await eventually(handled, timeout=WAIT)
    assert await traces_of(db, pat, t) == []
