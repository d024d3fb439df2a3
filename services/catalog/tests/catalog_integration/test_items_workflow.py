"""Items of every type and the contribution workflow, through the real gRPC server,
with events checked on the real broker and state read back from PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import grpc
import pytest

from agora.catalog.v1 import catalog_pb2 as pb
from agora_contracts.events.domains.catalog import KNOWLEDGE_TOPIC, SUBMISSIONS_TOPIC
from agora_core.testing.event_tap import tapping
from agora_core.testing.grpc_assertions import assert_status, caller, rpc_error

from .helpers import ADMIN, AUTHOR, EXPERT, OTHER_EXPERT, Tenant, quiz, timestamp, wiki

pytestmark = pytest.mark.integration

SUBMITTED = "org.agora.catalog.submission.submitted.v1"
REVIEWED = "org.agora.catalog.submission.reviewed.v1"
PUBLISHED = "org.agora.catalog.knowledge.published.v1"
ARCHIVED = "org.agora.catalog.knowledge.archived.v1"

DRAFTS = {
    "scorm": pb.ItemDraft(
        title="Security basics",
        language="en",
        scorm=pb.ScormContent(
            package_uri="s3://agora-packages/sec.zip",
            launch_url="https://lms.example.com/sec/index.html",
            scorm_version="2004",
        ),
    ),
    "video": pb.ItemDraft(
        title="Une vidéo",
        language="fr",
        video=pb.VideoContent(url="https://www.youtube.com/watch?v=x", provider="youtube"),
    ),
    "document": pb.ItemDraft(
        title="Slides",
        language="en",
        document=pb.DocumentContent(
            url="https://files.example.com/a.pptx", format=pb.DOCUMENT_FORMAT_POWERPOINT
        ),
    ),
    "link": pb.ItemDraft(
        title="A MOOC",
        language="en",
        link=pb.LinkContent(url="https://mooc.example.org/c/1", kind=pb.LINK_KIND_MOOC),
    ),
    "session": pb.ItemDraft(
        title="Workshop",
        language="fr",
        session=pb.SessionContent(
            starts_at=timestamp(timedelta(days=3)),
            ends_at=timestamp(timedelta(days=3, hours=2)),
            place="Lyon, room 4",
            seats=12,
        ),
    ),
}


@pytest.mark.parametrize("kind", sorted(DRAFTS))
async def test_items_of_every_type_round_trip(tenant: Tenant, kind: str) -> None:
    created = await tenant.create(DRAFTS[kind])
    assert created.status == pb.ITEM_STATUS_DRAFT
    assert created.version == 1
    assert created.author_id == AUTHOR
    fetched = (
        await tenant.stub.GetItem(
            pb.GetItemRequest(item_id=created.item_id), metadata=tenant.author
        )
    ).item
    assert fetched.WhichOneof("content") == kind
    assert fetched == created


async def test_wiki_is_sanitised_and_quiz_answers_never_leave(tenant: Tenant) -> None:
    page = await tenant.create(
        wiki(markdown="Hi <script>alert(1)</script>[x](javascript:alert(1)) **ok**")
    )
    assert "<script>" not in page.wiki.markdown
    assert "javascript:" not in page.wiki.markdown
    assert "**ok**" in page.wiki.markdown

    item = await tenant.create(quiz())
    assert [q.multiple for q in item.quiz.questions] == [False, True]
    # The public message has no field for the key; nothing of it is serialised either.
    assert "correct" not in str(item)
    stored = await tenant.row("SELECT answer_key FROM items WHERE item_id = %s", item.item_id)
    assert stored is not None
    assert stored["answer_key"] == {"q1": ["b"], "q2": ["a", "b"]}


async def test_bad_input_names_the_field(tenant: Tenant) -> None:
    s = tenant.stub
    cases = {
        "item.title": wiki(title="x" * 301),
        "item.language": wiki(language="French!"),
        "item.theme_ids": wiki(themes=["nope"]),
        "item.skills": wiki(skills=[("cobol", 2)]),
        "item.skills.0.level": wiki(skills=[("sql", 9)]),
        "item.wiki.markdown": wiki(markdown="x" * 100_001),
        "item.content": pb.ItemDraft(title="t", language="en"),
        "item.video.url": pb.ItemDraft(
            title="t", language="en", video=pb.VideoContent(url="ftp://x", provider="other")
        ),
        "item.quiz.questions.0": pb.ItemDraft(
            title="t",
            language="en",
            quiz=pb.QuizContentInput(
                pass_mark_percent=50,
                questions=[
                    pb.QuizQuestionInput(
                        question_id="q",
                        text="?",
                        choices=[
                            pb.QuizChoice(choice_id="a", text="A"),
                            pb.QuizChoice(choice_id="b", text="B"),
                        ],
                        correct_choice_ids=["z"],
                    )
                ],
            ),
        ),
    }
    for field, draft in cases.items():
        error = await rpc_error(
            s.CreateItem(pb.CreateItemRequest(item=draft), metadata=tenant.author)
        )
        assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field=field)
    error = await rpc_error(s.GetItem(pb.GetItemRequest(item_id="missing"), metadata=tenant.author))
    assert_status(error, grpc.StatusCode.NOT_FOUND)
    error = await rpc_error(s.GetItem(pb.GetItemRequest(), metadata=tenant.author))
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="item_id")


async def test_roles_are_checked(tenant: Tenant) -> None:
    s = tenant.stub
    error = await rpc_error(
        s.CreateItem(pb.CreateItemRequest(item=wiki()), metadata=tenant.learner)
    )
    assert_status(error, grpc.StatusCode.PERMISSION_DENIED)
    error = await rpc_error(
        s.UpsertSkill(pb.UpsertSkillRequest(skill_id="x", name="X"), metadata=tenant.expert)
    )
    assert_status(error, grpc.StatusCode.PERMISSION_DENIED)
    item = await tenant.create(wiki())
    # Another contributor is not the author.
    other = tenant.as_("u-mallory", "contributor")
    error = await rpc_error(
        s.SubmitItem(pb.SubmitItemRequest(item_id=item.item_id), metadata=other)
    )
    assert_status(error, grpc.StatusCode.PERMISSION_DENIED)
    # Unpublished content of others is invisible.
    error = await rpc_error(s.GetItem(pb.GetItemRequest(item_id=item.item_id), metadata=other))
    assert_status(error, grpc.StatusCode.NOT_FOUND)


async def test_validation_workflow_with_events(tenant: Tenant, kafka_bootstrap: str) -> None:
    s, t = tenant.stub, tenant.tenant_id
    async with tapping(kafka_bootstrap, [SUBMISSIONS_TOPIC, KNOWLEDGE_TOPIC]) as tap:
        item = await tenant.create(wiki(title="Window functions", skills=[("sql", 3)]))
        # Approving a draft is an illegal transition that names the current state.
        error = await rpc_error(
            s.ReviewItem(
                pb.ReviewItemRequest(item_id=item.item_id, decision=pb.REVIEW_DECISION_APPROVED),
                metadata=tenant.expert,
            )
        )
        assert_status(error, grpc.StatusCode.FAILED_PRECONDITION)
        assert "draft" in (error.details() or "")

        submitted = await s.SubmitItem(
            pb.SubmitItemRequest(item_id=item.item_id), metadata=tenant.author
        )
        assert submitted.item.status == pb.ITEM_STATUS_SUBMITTED
        assert list(submitted.reviewer_ids) == [EXPERT]
        [event] = await tap.wait_for(SUBMITTED, tenant=t, subject=item.item_id)
        assert event.data["reviewer_ids"] == [EXPERT]
        assert event.data["author_id"] == AUTHOR
        assert event.data["skills"] == [{"skill_id": "sql", "level": 3}]
        assert event.envelope.actorid == AUTHOR

        # The queue shows it to the SQL expert, not to the Git trainer.
        queue = await s.ListReviewQueue(pb.ListReviewQueueRequest(), metadata=tenant.expert)
        assert [i.item_id for i in queue.items] == [item.item_id]
        git_trainer = tenant.as_(OTHER_EXPERT, "expert")
        queue = await s.ListReviewQueue(pb.ListReviewQueueRequest(), metadata=git_trainer)
        assert list(queue.items) == []
        error = await rpc_error(
            s.ClaimReview(pb.ClaimReviewRequest(item_id=item.item_id), metadata=git_trainer)
        )
        assert_status(error, grpc.StatusCode.PERMISSION_DENIED)
        # Expert of the skill but without the expert role: refused by the policy.
        error = await rpc_error(
            s.ClaimReview(
                pb.ClaimReviewRequest(item_id=item.item_id),
                metadata=tenant.as_(EXPERT, "contributor"),
            )
        )
        assert_status(error, grpc.StatusCode.PERMISSION_DENIED)

        claimed = await s.ClaimReview(
            pb.ClaimReviewRequest(item_id=item.item_id), metadata=tenant.expert
        )
        assert claimed.item.status == pb.ITEM_STATUS_IN_REVIEW
        assert claimed.item.reviewer_id == EXPERT
        error = await rpc_error(
            s.ReviewItem(
                pb.ReviewItemRequest(
                    item_id=item.item_id, decision=pb.REVIEW_DECISION_CHANGES_REQUESTED
                ),
                metadata=tenant.expert,
            )
        )
        assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="(request)")
        sent_back = await s.ReviewItem(
            pb.ReviewItemRequest(
                item_id=item.item_id,
                decision=pb.REVIEW_DECISION_CHANGES_REQUESTED,
                comment="Add an example",
            ),
            metadata=tenant.expert,
        )
        assert sent_back.item.status == pb.ITEM_STATUS_CHANGES_REQUESTED
        assert sent_back.item.review_comment == "Add an example"
        await tap.wait_for(
            REVIEWED,
            tenant=t,
            subject=item.item_id,
            where=lambda d: d["decision"] == "changes_requested",
        )

        updated = await s.UpdateItem(
            pb.UpdateItemRequest(
                item_id=item.item_id,
                item=wiki(
                    title="Window functions", markdown="With `ROW_NUMBER()`", skills=[("sql", 3)]
                ),
            ),
            metadata=tenant.author,
        )
        assert updated.item.version == 2
        await s.SubmitItem(pb.SubmitItemRequest(item_id=item.item_id), metadata=tenant.author)
        await s.ClaimReview(pb.ClaimReviewRequest(item_id=item.item_id), metadata=tenant.expert)
        approved = await s.ReviewItem(
            pb.ReviewItemRequest(item_id=item.item_id, decision=pb.REVIEW_DECISION_APPROVED),
            metadata=tenant.expert,
        )
        assert approved.item.status == pb.ITEM_STATUS_PUBLISHED
        assert approved.item.validated
        [published] = await tap.wait_for(PUBLISHED, tenant=t, subject=item.item_id)
        assert published.data["validated"] is True
        assert published.data["validated_by"] == EXPERT
        assert published.data["version"] == 2
        assert published.data["themes"] == ["data"]
        await tap.wait_for(
            REVIEWED, tenant=t, subject=item.item_id, where=lambda d: d["decision"] == "approved"
        )

        # Editing a published item is illegal; archiving it is the author's right.
        error = await rpc_error(
            s.UpdateItem(
                pb.UpdateItemRequest(item_id=item.item_id, item=wiki()), metadata=tenant.author
            )
        )
        assert_status(error, grpc.StatusCode.FAILED_PRECONDITION)
        assert "published" in (error.details() or "")
        archived = await s.ArchiveItem(
            pb.ArchiveItemRequest(item_id=item.item_id, reason="Outdated"), metadata=tenant.author
        )
        assert archived.item.status == pb.ITEM_STATUS_ARCHIVED
        [event] = await tap.wait_for(ARCHIVED, tenant=t, subject=item.item_id)
        assert event.data["reason"] == "Outdated"

    versions = await s.ListItemVersions(
        pb.ListItemVersionsRequest(item_id=item.item_id), metadata=tenant.author
    )
    assert [v.version for v in versions.versions] == [2, 1]
    stored = await tenant.row(
        "SELECT status, tenant_id FROM items WHERE item_id = %s", item.item_id
    )
    assert stored is not None
    assert stored["status"] == "archived"
    assert stored["tenant_id"] == t


async def test_reject_and_informal_publishing(tenant: Tenant, kafka_bootstrap: str) -> None:
    s, t = tenant.stub, tenant.tenant_id
    async with tapping(kafka_bootstrap, [SUBMISSIONS_TOPIC, KNOWLEDGE_TOPIC]) as tap:
        rejected = await tenant.create(wiki(title="Bad idea"))
        await s.SubmitItem(pb.SubmitItemRequest(item_id=rejected.item_id), metadata=tenant.author)
        await s.ClaimReview(pb.ClaimReviewRequest(item_id=rejected.item_id), metadata=tenant.admin)
        # Only the reviewer who claimed it decides.
        error = await rpc_error(
            s.ReviewItem(
                pb.ReviewItemRequest(
                    item_id=rejected.item_id, decision=pb.REVIEW_DECISION_REJECTED, comment="no"
                ),
                metadata=tenant.expert,
            )
        )
        assert_status(error, grpc.StatusCode.PERMISSION_DENIED)
        done = await s.ReviewItem(
            pb.ReviewItemRequest(
                item_id=rejected.item_id, decision=pb.REVIEW_DECISION_REJECTED, comment="Off topic"
            ),
            metadata=tenant.admin,
        )
        assert done.item.status == pb.ITEM_STATUS_REJECTED
        [event] = await tap.wait_for(REVIEWED, tenant=t, subject=rejected.item_id)
        assert event.data["decision"] == "rejected"
        assert event.data["reviewer_id"] == ADMIN
        error = await rpc_error(
            s.SubmitItem(pb.SubmitItemRequest(item_id=rejected.item_id), metadata=tenant.author)
        )
        assert_status(error, grpc.StatusCode.FAILED_PRECONDITION)
        assert "rejected" in (error.details() or "")

        shared = await tenant.create(wiki(title="Team notes"))
        request = pb.PublishInformallyRequest(item_id=shared.item_id, space_id="space-1")
        error = await rpc_error(s.PublishInformally(request, metadata=tenant.author))
        assert_status(error, grpc.StatusCode.FAILED_PRECONDITION)
        error = await rpc_error(
            s.UpdateTenantSettings(
                pb.UpdateTenantSettingsRequest(
                    settings=pb.TenantSettings(informal_publishing_allowed=True)
                ),
                metadata=tenant.author,
            )
        )
        assert_status(error, grpc.StatusCode.PERMISSION_DENIED)
        await s.UpdateTenantSettings(
            pb.UpdateTenantSettingsRequest(
                settings=pb.TenantSettings(informal_publishing_allowed=True)
            ),
            metadata=tenant.admin,
        )
        published = await s.PublishInformally(request, metadata=tenant.author)
        assert published.item.status == pb.ITEM_STATUS_PUBLISHED
        assert published.item.space_id == "space-1"
        assert not published.item.validated
        [event] = await tap.wait_for(PUBLISHED, tenant=t, subject=shared.item_id)
        assert event.data["validated"] is False
        assert event.data["space_id"] == "space-1"
        assert tap.matching(SUBMITTED, tenant=t, subject=shared.item_id) == []


async def test_another_tenant_can_neither_read_nor_change(tenant: Tenant) -> None:
    s = tenant.stub
    item = await tenant.publish(wiki(title="Private to tenant A"))
    intruder = caller(["admin"], tenant=f"{tenant.tenant_id}-other", subject=ADMIN)
    error = await rpc_error(s.GetItem(pb.GetItemRequest(item_id=item.item_id), metadata=intruder))
    assert_status(error, grpc.StatusCode.NOT_FOUND)
    error = await rpc_error(
        s.ArchiveItem(pb.ArchiveItemRequest(item_id=item.item_id), metadata=intruder)
    )
    assert_status(error, grpc.StatusCode.NOT_FOUND)
    found = await s.SearchItems(pb.SearchItemsRequest(query="private"), metadata=intruder)
    assert list(found.items) == []
    still = await s.GetItem(pb.GetItemRequest(item_id=item.item_id), metadata=tenant.learner)
    assert still.item.status == pb.ITEM_STATUS_PUBLISHED


async def test_session_registrations_respect_seats(tenant: Tenant) -> None:
    s = tenant.stub
    draft = pb.ItemDraft()
    draft.CopyFrom(DRAFTS["session"])
    draft.session.seats = 2
    session = await tenant.publish(draft)
    assert session.session.registered_ids == []
    first = tenant.as_("u-1")
    await s.RegisterForSession(
        pb.RegisterForSessionRequest(item_id=session.item_id), metadata=first
    )
    again = await s.RegisterForSession(
        pb.RegisterForSessionRequest(item_id=session.item_id), metadata=first
    )
    assert list(again.item.session.registered_ids) == ["u-1"]
    await s.RegisterForSession(
        pb.RegisterForSessionRequest(item_id=session.item_id), metadata=tenant.as_("u-2")
    )
    error = await rpc_error(
        s.RegisterForSession(
            pb.RegisterForSessionRequest(item_id=session.item_id), metadata=tenant.as_("u-3")
        )
    )
    assert_status(error, grpc.StatusCode.FAILED_PRECONDITION)
    assert "full" in (error.details() or "")
    freed = await s.CancelSessionRegistration(
        pb.CancelSessionRegistrationRequest(item_id=session.item_id), metadata=first
    )
    assert list(freed.item.session.registered_ids) == ["u-2"]
    late = await s.RegisterForSession(
        pb.RegisterForSessionRequest(item_id=session.item_id), metadata=tenant.as_("u-3")
    )
    assert list(late.item.session.registered_ids) == ["u-2", "u-3"]
    page = await tenant.publish(wiki())
    error = await rpc_error(
        s.RegisterForSession(pb.RegisterForSessionRequest(item_id=page.item_id), metadata=first)
    )
    assert_status(error, grpc.StatusCode.FAILED_PRECONDITION)
