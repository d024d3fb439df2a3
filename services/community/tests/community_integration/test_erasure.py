"""Right to erasure in community: ErasePerson, then the person.erased consumer.

One service on the real broker, PostgreSQL and gRPC server; each test uses its own
tenants and a person id of its own, and reads the service's database directly to prove
nothing about the person is left.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import grpc
import pytest

from agora.community.v1 import community_pb2 as pb
from agora.community.v1 import privacy_pb2 as ppb
from agora.community.v1.privacy_pb2_grpc import PrivacyServiceStub
from agora_community.adapters.postgres.erasure import ERASURE_STEPS, NOT_PERSONAL
from agora_contracts.events.common import SkillLevel
from agora_contracts.events.domains.community import LikeAddedV1
from agora_contracts.events.domains.learning import KnowledgeCompletedV1
from agora_contracts.events.domains.privacy import (
    ERASED_PERSON_PLACEHOLDER,
    ERASURES_TOPIC,
    PersonErasedV1,
)
from agora_contracts.events.schemas import load_platform_events
from agora_core.postgres import Database
from agora_core.privacy import PERSON_ERASED, person_digest
from agora_core.privacy.postgres import PostgresPersonEraser
from agora_core.testing import eventually
from agora_core.testing.event_tap import start_group_at_end, tapping
from agora_core.testing.grpc_assertions import assert_status, caller, rpc_error
from agora_core.testing.postgres_scan import postgres_traces_of, tenant_rows, tenant_tables
from agora_core.testing.service_harness import channel_to

from .conftest import started_service
from .support import EVENT_WAIT, Community, event_of, knowledge

if TYPE_CHECKING:
    from agora.community.v1.privacy_pb2_grpc import PrivacyServiceAsyncStub

pytestmark = pytest.mark.integration


@dataclass
class Running:
    community: Community
    privacy: PrivacyServiceAsyncStub
    database: Database
    group: str


@pytest.fixture(scope="module")
async def running(kafka_bootstrap: str, postgres_admin_dsn: str) -> AsyncIterator[Running]:
    group = f"agora-community-erasure-test-{uuid.uuid4().hex[:8]}"
    # Its own group, started at the end of every topic: this module handles only what
    # it publishes, never the history earlier runs left on the broker.
    await start_group_at_end(kafka_bootstrap, group, load_platform_events().topics())
    async with (
        started_service(
            kafka_bootstrap,
            postgres_admin_dsn,
            rate_limit_likes=100_000,
            rate_limit_posts=1_000,
            consumer_group=group,
        ) as started,
        channel_to(started.runtime) as channel,
    ):
        yield Running(started.community, PrivacyServiceStub(channel), started.database, group)


def admin(tenant: str) -> Any:
    return caller(("admin",), tenant=tenant, subject="u-admin")


async def scalar(database: Database, tenant: str, query: str, *params: Any) -> Any:
    async with database.unit_of_work(tenant) as uow:
        cursor = await uow.connection.execute(query, params)
        row = await cursor.fetchone()
    return None if row is None else row[0]


async def erased_at(database: Database, tenant: str, person: str) -> Any:
    """When the person's tombstone was written in the tenant (None: not erased)."""
    return await scalar(
        database,
        tenant,
        "SELECT erased_at FROM erased_persons WHERE tenant_id = %s AND digest = %s",
        tenant,
        person_digest(tenant, person),
    )


async def processed(running: Running, tenant: str, event_id: str) -> bool:
    mark = await scalar(
        running.database,
        tenant,
        "SELECT 1 FROM processed_events WHERE tenant_id = %s AND group_id = %s AND event_id = %s",
        tenant,
        running.group,
        event_id,
    )
    return mark is not None


async def test_every_table_is_erased_or_declared_not_personal(running: Running) -> None:
    eraser = PostgresPersonEraser(running.database, ERASURE_STEPS, not_personal=NOT_PERSONAL)
    assert eraser.uncovered(await tenant_tables(running.database)) == []


def _ada_entry(ada: str) -> pb.Person:
    return pb.Person(person_id=ada, display_name="Ada Lovelace", roles=["contributor"])


async def life_of(running: Running, tenant: str, ada: str) -> dict[str, str]:
    """Ada and Bob use community in ``tenant``: a space, comments, likes, Q&A, a report."""
    c = running.community
    stub = c.stub
    item = await c.known_item(tenant, author="u-grace")
    ada_md, bob_md = c.as_user(tenant, ada, "contributor"), c.as_user(tenant, "u-bob")
    await stub.PutPeople(pb.PutPeopleRequest(people=[_ada_entry(ada)]), metadata=admin(tenant))
    space = await c.space(tenant, ada)
    await stub.JoinSpace(pb.JoinSpaceRequest(space_id=space.space_id), metadata=bob_md)
    mine = await stub.PostComment(
        pb.PostCommentRequest(target=knowledge(item), body="Useful, thanks @u-bob"),
        metadata=ada_md,
    )
    reply = await stub.PostComment(
        pb.PostCommentRequest(
            target=knowledge(item),
            parent_comment_id=mine.comment.comment_id,
            body=f"Agreed @{ada}!",
        ),
        metadata=bob_md,
    )
    await stub.Like(pb.LikeRequest(target=knowledge(item)), metadata=ada_md)
    await stub.Like(
        pb.LikeRequest(target=pb.Target(type=pb.TARGET_TYPE_COMMENT, id=mine.comment.comment_id)),
        metadata=bob_md,
    )
    question = await stub.AskQuestion(
        pb.AskQuestionRequest(
            title="How to rebase?", body="Step by step please", skill_ids=["git"]
        ),
        metadata=ada_md,
    )
    answer = await stub.PostAnswer(
        pb.PostAnswerRequest(
            question_id=question.question.question_id, body=f"git rebase -i, as @{ada} said"
        ),
        metadata=bob_md,
    )
    await stub.UpvoteAnswer(
        pb.UpvoteAnswerRequest(answer_id=answer.answer.answer_id), metadata=ada_md
    )
    await stub.ReportContent(
        pb.ReportContentRequest(
            content=pb.Target(type=pb.TARGET_TYPE_ANSWER, id=answer.answer.answer_id),
            reason=pb.REPORT_REASON_SPAM,
        ),
        metadata=ada_md,
    )
    await c.publish(
        event_of(
            KnowledgeCompletedV1(
                learner_id=ada,
                item_id=item,
                item_type="wiki",
                item_title="Git",
                skills=(SkillLevel(skill_id="git", level=2),),
                completed_at=datetime.now(UTC),
            ),
            tenant=tenant,
            subject=item,
        )
    )

    async def counted() -> bool:
        popularity = await c.popularity(tenant, knowledge(item))
        expert = await scalar(
            running.database,
            tenant,
            "SELECT 1 FROM experts WHERE tenant_id = %s AND user_id = %s",
            tenant,
            ada,
        )
        return popularity.likes == 1 and popularity.comments == 2 and expert is not None

    await eventually(counted, timeout=EVENT_WAIT)
    return {
        "item": item,
        "space": space.space_id,
        "comment": mine.comment.comment_id,
        "reply": reply.comment.comment_id,
        "question": question.question.question_id,
        "answer": answer.answer.answer_id,
    }


async def test_erase_person_anonymises_and_deletes_only_in_the_callers_tenant(
    running: Running,
) -> None:
    tenant, other = f"t-{uuid.uuid4().hex[:10]}", f"t-{uuid.uuid4().hex[:10]}"
    ada = f"u-ada-{uuid.uuid4().hex[:6]}"
    ids = await life_of(running, tenant, ada)
    await life_of(running, other, ada)
    stub, db = running.community.stub, running.database
    reader = running.community.as_user(tenant, "u-bob")

    async with tapping(running.community.kafka, [ERASURES_TOPIC]) as tap:
        first = await running.privacy.ErasePerson(
            ppb.ErasePersonRequest(person_id=ada, reason=ppb.ERASURE_REASON_DATA_SUBJECT_REQUEST),
            metadata=admin(tenant),
        )
        again = await running.privacy.ErasePerson(
            ppb.ErasePersonRequest(person_id=ada, reason=ppb.ERASURE_REASON_ACCOUNT_CLOSED),
            metadata=caller(("admin",), tenant=tenant, subject="u-other-admin"),
        )
        assert first.created
        assert not again.created
        assert again.erasure == first.erasure  # same record, first request's reason and admin
        assert first.erasure.person_id == ada
        assert first.erasure.requested_by == "u-admin"
        # The repeat publishes again (a sweep), under the same erasure id.
        published = await tap.wait_for(PERSON_ERASED, tenant=tenant, count=2, timeout=EVENT_WAIT)
        event = published[0]
        assert {e.data["erasure_id"] for e in published} == {first.erasure.erasure_id}
        assert {e.data["person_id"] for e in published} == {ada}
        assert {e.key for e in published} == {ada}
        assert event.data["reason"] == "data_subject_request"
        assert published[0].envelope.id != published[1].envelope.id

        await eventually(lambda: _is_not_none(erased_at(db, tenant, ada)), timeout=EVENT_WAIT)
        # Both events handled: the repeat (a sweep) found nothing more to change.
        for erased in published:

            async def handled(event_id: str = str(erased.envelope.id)) -> bool:
                return await processed(running, tenant, event_id)

            await eventually(handled, timeout=EVENT_WAIT)

    # Nothing in the tenant names Ada any more; the other tenant's Ada is untouched.
    assert await postgres_traces_of(db, ids=[ada], tenant_id=tenant) == []
    assert len(await postgres_traces_of(db, ids=[ada], tenant_id=other)) > 10

    comment = (
        await stub.GetComment(pb.GetCommentRequest(comment_id=ids["comment"]), metadata=reader)
    ).comment
    assert comment.author_id == ERASED_PERSON_PLACEHOLDER
    assert comment.body == "Useful, thanks @u-bob"  # the content stays
    reply = (
        await stub.GetComment(pb.GetCommentRequest(comment_id=ids["reply"]), metadata=reader)
    ).comment
    assert reply.body == f"Agreed @{ERASED_PERSON_PLACEHOLDER}!"
    assert list(reply.mentioned_user_ids) == [ERASED_PERSON_PLACEHOLDER]
    assert reply.author_id == "u-bob"
    # Counts keep the erased person's past engagement, anonymously.
    popularity = await running.community.popularity(tenant, knowledge(ids["item"]))
    assert (popularity.likes, popularity.comments) == (1, 2)
    space = (await stub.GetSpace(pb.GetSpaceRequest(space_id=ids["space"]), metadata=reader)).space
    assert space.created_by == ERASED_PERSON_PLACEHOLDER
    assert space.member_count == 1
    question = await stub.GetQuestion(
        pb.GetQuestionRequest(question_id=ids["question"]), metadata=reader
    )
    assert question.question.asker_id == ERASED_PERSON_PLACEHOLDER
    assert question.answers[0].upvotes == 1
    experts = await stub.FindExperts(pb.FindExpertsRequest(skill_id="git"), metadata=reader)
    assert ada not in [e.user_id for e in experts.experts]
    # Gone from the people directory, and an HR sync naming her again stores nothing.
    found = await stub.SearchPeople(pb.SearchPeopleRequest(query="lovelace"), metadata=reader)
    assert list(found.people) == []
    synced = await stub.PutPeople(
        pb.PutPeopleRequest(people=[_ada_entry(ada)]), metadata=admin(tenant)
    )
    assert (synced.stored, synced.skipped_erased) == (0, 1)
    elsewhere = await stub.SearchPeople(
        pb.SearchPeopleRequest(query="ada"), metadata=running.community.as_user(other, "u-bob")
    )
    assert [p.person_id for p in elsewhere.people] == [ada]
    # Ada's token, not yet revoked by the identity provider, no longer works here.
    error = await rpc_error(
        stub.Like(
            pb.LikeRequest(target=knowledge(ids["item"])),
            metadata=running.community.as_user(tenant, ada, "contributor"),
        )
    )
    assert_status(error, grpc.StatusCode.UNAUTHENTICATED)

    # Redelivery (a new event id, so the processed-id check does not hide it) changes
    # nothing.
    before = await tenant_rows(db, tenant)
    redelivered = event_of(
        PersonErasedV1.model_validate(event.data),
        tenant=tenant,
        subject=ada,
        source="/agora/community",
    )
    await running.community.publish(redelivered)

    await eventually(lambda: processed(running, tenant, redelivered.event_id), timeout=EVENT_WAIT)
    assert await tenant_rows(db, tenant) == before


async def _is_not_none(value: Any) -> bool:
    return (await value) is not None


async def test_events_naming_an_erased_person_later_store_nothing(running: Running) -> None:
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    ada = f"u-ada-{uuid.uuid4().hex[:6]}"
    db = running.database
    item = await running.community.known_item(tenant, author="u-grace")
    await running.privacy.ErasePerson(
        ppb.ErasePersonRequest(person_id=ada, reason=ppb.ERASURE_REASON_ACCOUNT_CLOSED),
        metadata=admin(tenant),
    )
    await eventually(lambda: _is_not_none(erased_at(db, tenant, ada)), timeout=EVENT_WAIT)
    late_like = event_of(
        LikeAddedV1(
            like_id="l-late",
            target_type="knowledge",
            target_id=item,
            liker_id=ada,
            target_owner_id="u-grace",
            liked_at=datetime.now(UTC),
        ),
        tenant=tenant,
        subject=item,
        source="/agora/community",
    )
    late_completion = event_of(
        KnowledgeCompletedV1(
            learner_id=ada,
            item_id=item,
            item_type="wiki",
            item_title="Git",
            skills=(SkillLevel(skill_id="git", level=2),),
            completed_at=datetime.now(UTC),
        ),
        tenant=tenant,
        subject=item,
    )
    await running.community.publish(late_like, late_completion)

    async def both_handled() -> bool:
        return await processed(running, tenant, late_like.event_id) and await processed(
            running, tenant, late_completion.event_id
        )

    await eventually(both_handled, timeout=EVENT_WAIT)
    assert await postgres_traces_of(db, ids=[ada], tenant_id=tenant) == []
    popularity = await running.community.popularity(tenant, knowledge(item))
    assert popularity.likes == 0


async def test_erase_person_is_for_admins_with_valid_input(running: Running) -> None:
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    request = ppb.ErasePersonRequest(person_id="u-x", reason=ppb.ERASURE_REASON_LEGAL_OBLIGATION)
    for roles in (("learner",), ("manager", "contributor")):
        error = await rpc_error(
            running.privacy.ErasePerson(request, metadata=caller(roles, tenant=tenant))
        )
        assert_status(error, grpc.StatusCode.PERMISSION_DENIED)
    error = await rpc_error(
        running.privacy.ErasePerson(
            ppb.ErasePersonRequest(person_id="has space", reason=ppb.ERASURE_REASON_ACCOUNT_CLOSED),
            metadata=admin(tenant),
        )
    )
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="person_id")
    error = await rpc_error(
        running.privacy.ErasePerson(ppb.ErasePersonRequest(person_id="u-x"), metadata=admin(tenant))
    )
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="reason")
    error = await rpc_error(
        running.privacy.ErasePerson(
            ppb.ErasePersonRequest(person_id="u-admin", reason=ppb.ERASURE_REASON_ACCOUNT_CLOSED),
            metadata=admin(tenant),
        )
    )
    assert_status(error, grpc.StatusCode.FAILED_PRECONDITION)
    records = await scalar(
        running.database, tenant, "SELECT count(*) FROM erasures WHERE tenant_id = %s", tenant
    )
    assert records == 0
