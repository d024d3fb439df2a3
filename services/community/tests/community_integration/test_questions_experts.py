"""Questions to experts and the expert directory fed by other services' events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import grpc
import pytest

from agora.community.v1 import community_pb2 as pb
from agora_contracts.events.common import SkillLevel
from agora_contracts.events.domains.catalog import (
    KnowledgeArchivedV1,
    KnowledgePublishedV1,
    SubmissionReviewedV1,
)
from agora_contracts.events.domains.community import QUESTIONS_TOPIC
from agora_contracts.events.domains.learning import (
    KnowledgeCompletedV1,
    QuizFailedV1,
    QuizPassedV1,
)
from agora_core.testing import eventually
from agora_core.testing.event_tap import tapping
from agora_core.testing.grpc_assertions import assert_status, rpc_error

from .support import EVENT_WAIT, Community, event_of, knowledge

pytestmark = pytest.mark.integration

ASKED = "org.agora.community.question.asked.v1"
ANSWERED = "org.agora.community.answer.posted.v1"
ACCEPTED = "org.agora.community.answer.accepted.v1"


def _skills(*ids: str) -> tuple[SkillLevel, ...]:
    return tuple(SkillLevel(skill_id=s, level=3) for s in ids)


async def _experts(community: Community, tenant: str, skill: str) -> list[pb.Expert]:
    response = await community.stub.FindExperts(
        pb.FindExpertsRequest(skill_id=skill), metadata=community.as_user(tenant, "u-any")
    )
    return list(response.experts)


async def _wait_experts(
    community: Community, tenant: str, skill: str, expected: list[tuple[str, float]]
) -> list[pb.Expert]:
    found: list[pb.Expert] = []

    async def ranked() -> bool:
        nonlocal found
        found = await _experts(community, tenant, skill)
        return [(e.user_id, e.score) for e in found] == expected

    try:
        await eventually(ranked, timeout=120)
    except AssertionError:
        raise AssertionError(
            f"experts of {skill}: {[(e.user_id, e.score) for e in found]}, want {expected}"
        ) from None
    return found


async def test_the_directory_ranks_people_from_every_kind_of_evidence(
    community: Community, tenant: str
) -> None:
    now = datetime.now(UTC)
    item = f"k-{uuid.uuid4().hex[:6]}"
    published = event_of(
        KnowledgePublishedV1(
            item_id=item,
            item_type="wiki",
            title="Rebase",
            author_id="u-linus",
            version=1,
            validated=True,
            validated_by="u-reviewer",
            language="en",
            skills=_skills("git"),
            published_at=now,
        ),
        tenant=tenant,
        subject=item,
    )
    reviewed = event_of(
        SubmissionReviewedV1(
            item_id=item,
            author_id="u-linus",
            reviewer_id="u-reviewer",
            title="Rebase",
            version=1,
            decision="approved",
            skills=_skills("git"),
            reviewed_at=now,
        ),
        tenant=tenant,
        subject=item,
    )
    other_item = f"k-{uuid.uuid4().hex[:6]}"
    rejected = event_of(
        SubmissionReviewedV1(
            item_id=other_item,
            author_id="u-ada",
            reviewer_id="u-reviewer",
            title="Bad",
            version=1,
            decision="rejected",
            skills=_skills("git"),
            reviewed_at=now,
        ),
        tenant=tenant,
        subject=other_item,
    )
    completed = event_of(
        KnowledgeCompletedV1(
            learner_id="u-ada",
            item_id=item,
            item_type="wiki",
            item_title="Rebase",
            skills=_skills("git"),
            completed_at=now,
        ),
        tenant=tenant,
        subject="u-ada",
        source="/agora/learning",
    )
    passed = event_of(
        QuizPassedV1(
            learner_id="u-ada",
            item_id="k-quiz",
            attempt_id="a-1",
            attempt_number=1,
            score_percent=90,
            pass_mark_percent=70,
            skills=_skills("git", "sql"),
            graded_at=now,
        ),
        tenant=tenant,
        subject="u-ada",
        source="/agora/learning",
    )
    failed = event_of(
        QuizFailedV1(
            learner_id="u-bob",
            item_id="k-quiz",
            attempt_id="a-2",
            attempt_number=1,
            score_percent=10,
            pass_mark_percent=70,
            skills=_skills("git"),
            graded_at=now,
        ),
        tenant=tenant,
        subject="u-bob",
        source="/agora/learning",
    )
    # Each event twice (a redelivery: same event id), and the item approved in review
    # as well as published validated: the contribution still counts once.
    await community.publish(
        published,
        published,
        reviewed,
        reviewed,
        rejected,
        completed,
        completed,
        passed,
        passed,
        failed,
    )

    # linus: 1 validated contribution (5); ada: 1 completion (1) + 1 quiz pass (2).
    experts = await _wait_experts(community, tenant, "git", [("u-linus", 5.0), ("u-ada", 3.0)])
    assert (experts[0].validated_contributions, experts[1].completions, experts[1].quiz_passes) == (
        1,
        1,
        1,
    )
    await _wait_experts(community, tenant, "sql", [("u-ada", 2.0)])
    # Another tenant's directory is empty.
    assert await _experts(community, f"{tenant}-other", "git") == []
    assert_status(
        await rpc_error(
            community.stub.FindExperts(
                pb.FindExpertsRequest(skill_id=""), metadata=community.as_user(tenant, "u-any")
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="skill_id",
    )

    # Paging through the ranking.
    first = await community.stub.FindExperts(
        pb.FindExpertsRequest(skill_id="git", page_size=1), metadata=community.as_user(tenant, "u")
    )
    second = await community.stub.FindExperts(
        pb.FindExpertsRequest(skill_id="git", page_size=1, page_token=first.next_page_token),
        metadata=community.as_user(tenant, "u"),
    )
    assert [e.user_id for e in (*first.experts, *second.experts)] == ["u-linus", "u-ada"]
    assert second.next_page_token == ""


async def test_a_question_is_asked_answered_upvoted_and_accepted(
    community: Community, tenant: str
) -> None:
    stub = community.stub
    item = await community.known_item(tenant, author="u-linus", skills=("git",), validated=True)
    await _wait_experts(community, tenant, "git", [("u-linus", 5.0)])
    asker = community.as_user(tenant, "u-ada")
    async with tapping(community.kafka, [QUESTIONS_TOPIC]) as tap:
        question = (
            await stub.AskQuestion(
                pb.AskQuestionRequest(
                    title="Rebase or merge?",
                    body="When should I <b>rebase</b>?",
                    skill_ids=["git"],
                    item_id=item,
                ),
                metadata=asker,
            )
        ).question
        assert list(question.proposed_expert_ids) == ["u-linus"]
        assert question.body == "When should I rebase?"
        asked = (
            await tap.wait_for(
                ASKED, tenant=tenant, subject=question.question_id, timeout=EVENT_WAIT
            )
        )[0]
        assert asked.data["proposed_expert_ids"] == ["u-linus"]
        assert asked.data["skill_ids"] == ["git"]
        assert asked.data["item_id"] == item

        unanswered = await stub.ListUnansweredQuestions(
            pb.ListUnansweredQuestionsRequest(skill_id="git"), metadata=asker
        )
        assert [q.question_id for q in unanswered.questions] == [question.question_id]

        linus = community.as_user(tenant, "u-linus")
        answer = (
            await stub.PostAnswer(
                pb.PostAnswerRequest(question_id=question.question_id, body="Rebase local work."),
                metadata=linus,
            )
        ).answer
        posted = (
            await tap.wait_for(
                ANSWERED, tenant=tenant, subject=question.question_id, timeout=EVENT_WAIT
            )
        )[0]
        assert posted.data["asker_id"] == "u-ada"
        assert posted.data["author_id"] == "u-linus"
        assert posted.data["question_title"] == "Rebase or merge?"
        unanswered = await stub.ListUnansweredQuestions(
            pb.ListUnansweredQuestionsRequest(skill_id="git"), metadata=asker
        )
        assert list(unanswered.questions) == []

        upvoted = await stub.UpvoteAnswer(
            pb.UpvoteAnswerRequest(answer_id=answer.answer_id), metadata=asker
        )
        again = await stub.UpvoteAnswer(
            pb.UpvoteAnswerRequest(answer_id=answer.answer_id), metadata=asker
        )
        assert (upvoted.changed, again.changed, again.answer.upvotes) == (True, False, 1)
        assert_status(
            await rpc_error(
                stub.UpvoteAnswer(
                    pb.UpvoteAnswerRequest(answer_id=answer.answer_id), metadata=linus
                )
            ),
            grpc.StatusCode.FAILED_PRECONDITION,
        )
        assert_status(
            await rpc_error(
                stub.AcceptAnswer(
                    pb.AcceptAnswerRequest(answer_id=answer.answer_id), metadata=linus
                )
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        accepted = await stub.AcceptAnswer(
            pb.AcceptAnswerRequest(answer_id=answer.answer_id), metadata=asker
        )
        assert accepted.question.accepted_answer_id == answer.answer_id
        error = await rpc_error(
            stub.AcceptAnswer(pb.AcceptAnswerRequest(answer_id=answer.answer_id), metadata=asker)
        )
        assert_status(error, grpc.StatusCode.FAILED_PRECONDITION)
        event = (
            await tap.wait_for(
                ACCEPTED, tenant=tenant, subject=question.question_id, timeout=EVENT_WAIT
            )
        )[0]
        assert event.data["author_id"] == "u-linus"
        assert event.data["skill_ids"] == ["git"]
        assert len(tap.matching(ACCEPTED, tenant=tenant)) == 1

    # The accepted answer is evidence too: 5 + 3.
    experts = await _wait_experts(community, tenant, "git", [("u-linus", 8.0)])
    assert experts[0].accepted_answers == 1
    full = await stub.GetQuestion(
        pb.GetQuestionRequest(question_id=question.question_id), metadata=asker
    )
    assert [(a.answer_id, a.accepted, a.upvotes) for a in full.answers] == [
        (answer.answer_id, True, 1)
    ]


async def test_question_input_spaces_and_tenants_are_checked(
    community: Community, tenant: str
) -> None:
    stub = community.stub
    ada = community.as_user(tenant, "u-ada")
    for request, field in (
        (pb.AskQuestionRequest(title="", skill_ids=["git"]), "title"),
        (pb.AskQuestionRequest(title="t" * 301, skill_ids=["git"]), "title"),
        (pb.AskQuestionRequest(title="Why?"), "skill_ids"),
        (pb.AskQuestionRequest(title="Why?", skill_ids=[f"s{n}" for n in range(11)]), "skill_ids"),
        (pb.AskQuestionRequest(title="Why?", skill_ids=[""]), "skill_ids.0"),
        (pb.AskQuestionRequest(title="Why?", skill_ids=["git"], body="b" * 10_001), "body"),
    ):
        assert_status(
            await rpc_error(stub.AskQuestion(request, metadata=ada)),
            grpc.StatusCode.INVALID_ARGUMENT,
            field=field,
        )
    assert_status(
        await rpc_error(
            stub.AskQuestion(
                pb.AskQuestionRequest(title="Why?", skill_ids=["git"], space_id="s-none"),
                metadata=ada,
            )
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    assert_status(
        await rpc_error(
            stub.AskQuestion(
                pb.AskQuestionRequest(title="Why?", skill_ids=["git"], item_id="k-none"),
                metadata=ada,
            )
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    space = await community.space(tenant, "u-owner")
    assert_status(
        await rpc_error(
            stub.AskQuestion(
                pb.AskQuestionRequest(title="Why?", skill_ids=["git"], space_id=space.space_id),
                metadata=ada,
            )
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    question = (
        await stub.AskQuestion(
            pb.AskQuestionRequest(title="Why?", skill_ids=["git"], space_id=space.space_id),
            metadata=community.as_user(tenant, "u-owner"),
        )
    ).question
    assert_status(
        await rpc_error(
            stub.PostAnswer(
                pb.PostAnswerRequest(question_id=question.question_id, body="Because"), metadata=ada
            )
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    other = community.as_user(f"{tenant}-other", "u-owner")
    assert_status(
        await rpc_error(
            stub.GetQuestion(
                pb.GetQuestionRequest(question_id=question.question_id), metadata=other
            )
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    listed = await stub.ListUnansweredQuestions(pb.ListUnansweredQuestionsRequest(), metadata=other)
    assert list(listed.questions) == []


async def test_archived_knowledge_takes_no_new_engagement(
    community: Community, tenant: str
) -> None:
    item = await community.known_item(tenant, author="u-grace")
    await community.publish(
        event_of(
            KnowledgeArchivedV1(
                item_id=item, author_id="u-grace", title="Old", archived_at=datetime.now(UTC)
            ),
            tenant=tenant,
            subject=item,
        )
    )
    ada = community.as_user(tenant, "u-ada")

    async def archived() -> bool:
        try:
            await community.stub.Like(pb.LikeRequest(target=knowledge(item)), metadata=ada)
        except grpc.aio.AioRpcError as error:
            return error.code() == grpc.StatusCode.FAILED_PRECONDITION and "archived" in (
                error.details() or ""
            )
        await community.stub.Unlike(pb.UnlikeRequest(target=knowledge(item)), metadata=ada)
        return False

    await eventually(archived, timeout=120)
    # The thread stays readable.
    await community.stub.ListComments(pb.ListCommentsRequest(target=knowledge(item)), metadata=ada)
