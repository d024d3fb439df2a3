"""ListMyQuestions: the caller's own questions, newest first, one page after another,
with their answer counts and where each stands (open, answered, resolved, hidden)."""

from __future__ import annotations

import grpc
import pytest

from agora.community.v1 import community_pb2 as pb
from agora_core.testing.grpc_assertions import assert_status, rpc_error

from .support import Community

pytestmark = pytest.mark.integration


async def _ask(community: Community, tenant: str, user: str, title: str) -> pb.Question:
    asked = await community.stub.AskQuestion(
        pb.AskQuestionRequest(title=title, skill_ids=["git"]),
        metadata=community.as_user(tenant, user),
    )
    return asked.question


async def test_my_questions_are_mine_newest_first_with_their_status(
    community: Community, tenant: str
) -> None:
    stub = community.stub
    ada, bob = community.as_user(tenant, "u-ada"), community.as_user(tenant, "u-bob")
    admin = community.as_user(tenant, "u-admin", "admin")
    first = await _ask(community, tenant, "u-ada", "Rebase or merge?")
    await _ask(community, tenant, "u-bob", "Not Ada's")
    second = await _ask(community, tenant, "u-ada", "What is a stash?")
    third = await _ask(community, tenant, "u-ada", "Rude?")
    fourth = await _ask(community, tenant, "u-ada", "Squash?")
    answered = await stub.PostAnswer(
        pb.PostAnswerRequest(question_id=first.question_id, body="Rebase local work."),
        metadata=bob,
    )
    await stub.PostAnswer(
        pb.PostAnswerRequest(question_id=second.question_id, body="A shelf."), metadata=bob
    )
    await stub.AcceptAnswer(
        pb.AcceptAnswerRequest(answer_id=answered.answer.answer_id), metadata=ada
    )
    await stub.HideContent(
        pb.HideContentRequest(
            content=pb.Target(type=pb.TARGET_TYPE_QUESTION, id=third.question_id)
        ),
        metadata=admin,
    )

    page = await stub.ListMyQuestions(pb.ListMyQuestionsRequest(page_size=3), metadata=ada)
    rest = await stub.ListMyQuestions(
        pb.ListMyQuestionsRequest(page_size=3, page_token=page.next_page_token), metadata=ada
    )

    seen = [(q.question_id, q.answer_count, q.status) for q in (*page.questions, *rest.questions)]
    assert seen == [
        (fourth.question_id, 0, pb.QUESTION_STATUS_OPEN),
        (third.question_id, 0, pb.QUESTION_STATUS_HIDDEN),
        (second.question_id, 1, pb.QUESTION_STATUS_ANSWERED),
        (first.question_id, 1, pb.QUESTION_STATUS_RESOLVED),
    ]
    assert page.next_page_token != ""
    assert rest.next_page_token == ""


async def test_my_questions_stay_in_their_tenant_and_reject_bad_pages(
    community: Community, tenant: str
) -> None:
    await _ask(community, tenant, "u-ada", "Only here")
    elsewhere = await community.stub.ListMyQuestions(
        pb.ListMyQuestionsRequest(), metadata=community.as_user(f"{tenant}-other", "u-ada")
    )
    assert list(elsewhere.questions) == []
    ada = community.as_user(tenant, "u-ada")
    for request in (
        pb.ListMyQuestionsRequest(page_size=-1),
        pb.ListMyQuestionsRequest(page_token="not-a-token"),
    ):
        error = await rpc_error(community.stub.ListMyQuestions(request, metadata=ada))
        assert_status(error, grpc.StatusCode.INVALID_ARGUMENT)
