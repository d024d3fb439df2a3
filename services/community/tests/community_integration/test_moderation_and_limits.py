"""Reports, the moderation queue, hiding and restoring, and hidden content in threads."""

from __future__ import annotations

import grpc
import pytest

from agora.community.v1 import community_pb2 as pb
from agora_contracts.events.domains.community import MODERATION_TOPIC, POPULARITY_TOPIC
from agora_core.testing.event_tap import tapping
from agora_core.testing.grpc_assertions import assert_status, rpc_error

from .support import EVENT_WAIT, Community, comment_target, knowledge

pytestmark = pytest.mark.integration

REPORTED = "org.agora.community.content.reported.v1"
HIDDEN = "org.agora.community.content.hidden.v1"
RESTORED = "org.agora.community.content.restored.v1"
CHANGED = "org.agora.community.popularity.changed.v1"


async def test_moderators_hide_reported_comments_and_restore_them(
    community: Community, tenant: str
) -> None:
    stub = community.stub
    space = await community.space(tenant, "u-owner")
    owner = community.as_user(tenant, "u-owner")
    troll, ada, mod = (community.as_user(tenant, u) for u in ("u-troll", "u-ada", "u-mod"))
    for member in (troll, ada, mod):
        await stub.JoinSpace(pb.JoinSpaceRequest(space_id=space.space_id), metadata=member)
    await stub.SetMemberRole(
        pb.SetMemberRoleRequest(
            space_id=space.space_id, user_id="u-mod", role=pb.SPACE_ROLE_MODERATOR
        ),
        metadata=owner,
    )
    item = await community.known_item(tenant, space_id=space.space_id)
    async with tapping(community.kafka, [MODERATION_TOPIC, POPULARITY_TOPIC]) as tap:
        spam = (
            await stub.PostComment(
                pb.PostCommentRequest(target=knowledge(item), body="BUY NOW"), metadata=troll
            )
        ).comment
        fine = (
            await stub.PostComment(
                pb.PostCommentRequest(target=knowledge(item), body="useful"), metadata=ada
            )
        ).comment
        await tap.wait_for(
            CHANGED,
            tenant=tenant,
            subject=item,
            where=lambda d: d["comments"] == 2,
            timeout=EVENT_WAIT,
        )

        report = (
            await stub.ReportContent(
                pb.ReportContentRequest(
                    content=comment_target(spam.comment_id),
                    reason=pb.REPORT_REASON_SPAM,
                    details="ads",
                ),
                metadata=ada,
            )
        ).report
        assert report.status == "open"
        assert_status(
            await rpc_error(
                stub.ReportContent(
                    pb.ReportContentRequest(
                        content=comment_target(spam.comment_id), reason=pb.REPORT_REASON_SPAM
                    ),
                    metadata=ada,
                )
            ),
            grpc.StatusCode.ALREADY_EXISTS,
        )
        reported = (
            await tap.wait_for(REPORTED, tenant=tenant, subject=spam.comment_id, timeout=EVENT_WAIT)
        )[0]
        assert reported.data["reason"] == "spam"
        assert reported.data["reporter_id"] == "u-ada"
        assert reported.data["space_id"] == space.space_id

        # The space's moderators see the queue; members and strangers do not.
        queue = await stub.ListModerationQueue(
            pb.ListModerationQueueRequest(space_id=space.space_id), metadata=mod
        )
        assert [r.report_id for r in queue.reports] == [report.report_id]
        for refused in (ada, community.as_user(tenant, "u-stranger")):
            assert_status(
                await rpc_error(
                    stub.ListModerationQueue(
                        pb.ListModerationQueueRequest(space_id=space.space_id), metadata=refused
                    )
                ),
                grpc.StatusCode.PERMISSION_DENIED,
            )
        assert_status(
            await rpc_error(
                stub.ListModerationQueue(pb.ListModerationQueueRequest(), metadata=mod)
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        admin_queue = await stub.ListModerationQueue(
            pb.ListModerationQueueRequest(), metadata=community.as_user(tenant, "u-admin", "admin")
        )
        assert [r.report_id for r in admin_queue.reports] == [report.report_id]

        assert_status(
            await rpc_error(
                stub.HideContent(
                    pb.HideContentRequest(content=comment_target(spam.comment_id)), metadata=ada
                )
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        await stub.HideContent(
            pb.HideContentRequest(content=comment_target(spam.comment_id), reason="spam"),
            metadata=mod,
        )
        hidden = (
            await tap.wait_for(HIDDEN, tenant=tenant, subject=spam.comment_id, timeout=EVENT_WAIT)
        )[0]
        assert hidden.data["author_id"] == "u-troll"
        assert hidden.data["moderator_id"] == "u-mod"
        await tap.wait_for(
            CHANGED,
            tenant=tenant,
            subject=item,
            where=lambda d: d["comments"] == 1,
            timeout=EVENT_WAIT,
        )

        for reader in (ada, troll):
            thread = await stub.ListComments(
                pb.ListCommentsRequest(target=knowledge(item)), metadata=reader
            )
            assert [c.comment_id for c in thread.comments] == [fine.comment_id]
        assert_status(
            await rpc_error(
                stub.GetComment(pb.GetCommentRequest(comment_id=spam.comment_id), metadata=ada)
            ),
            grpc.StatusCode.NOT_FOUND,
        )
        moderated = await stub.ListComments(
            pb.ListCommentsRequest(target=knowledge(item)), metadata=mod
        )
        assert [(c.comment_id, c.hidden) for c in moderated.comments] == [
            (spam.comment_id, True),
            (fine.comment_id, False),
        ]
        queue = await stub.ListModerationQueue(
            pb.ListModerationQueueRequest(space_id=space.space_id), metadata=mod
        )
        assert list(queue.reports) == []

        await stub.RestoreContent(
            pb.RestoreContentRequest(content=comment_target(spam.comment_id)), metadata=owner
        )
        restored = (
            await tap.wait_for(RESTORED, tenant=tenant, subject=spam.comment_id, timeout=EVENT_WAIT)
        )[0]
        assert restored.data["moderator_id"] == "u-owner"
        await tap.wait_for(
            CHANGED,
            tenant=tenant,
            subject=item,
            where=lambda d: d["comments"] == 2,
            count=2,
            timeout=EVENT_WAIT,
        )
        thread = await stub.ListComments(
            pb.ListCommentsRequest(target=knowledge(item)), metadata=ada
        )
        assert [c.comment_id for c in thread.comments] == [spam.comment_id, fine.comment_id]


async def test_questions_and_answers_can_be_hidden_by_admins(
    community: Community, tenant: str
) -> None:
    stub = community.stub
    ada, bob = community.as_user(tenant, "u-ada"), community.as_user(tenant, "u-bob")
    admin = community.as_user(tenant, "u-admin", "admin")
    question = (
        await stub.AskQuestion(pb.AskQuestionRequest(title="Rude?", skill_ids=["x"]), metadata=ada)
    ).question
    answer = (
        await stub.PostAnswer(
            pb.PostAnswerRequest(question_id=question.question_id, body="rude"), metadata=bob
        )
    ).answer
    target = pb.Target(type=pb.TARGET_TYPE_ANSWER, id=answer.answer_id)
    # Content outside any space: only tenant admins moderate it.
    assert_status(
        await rpc_error(stub.HideContent(pb.HideContentRequest(content=target), metadata=ada)),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await stub.HideContent(pb.HideContentRequest(content=target), metadata=admin)
    seen = await stub.GetQuestion(
        pb.GetQuestionRequest(question_id=question.question_id), metadata=ada
    )
    assert list(seen.answers) == []
    as_admin = await stub.GetQuestion(
        pb.GetQuestionRequest(question_id=question.question_id), metadata=admin
    )
    assert [a.hidden for a in as_admin.answers] == [True]
    await stub.HideContent(
        pb.HideContentRequest(
            content=pb.Target(type=pb.TARGET_TYPE_QUESTION, id=question.question_id)
        ),
        metadata=admin,
    )
    assert_status(
        await rpc_error(
            stub.GetQuestion(pb.GetQuestionRequest(question_id=question.question_id), metadata=bob)
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    for request, field in (
        (pb.HideContentRequest(content=knowledge("k-1")), "content.type"),
        (pb.HideContentRequest(content=comment_target("c"), reason="r" * 1001), "reason"),
        (pb.ReportContentRequest(content=comment_target("c")), "reason"),
    ):
        method = (
            stub.HideContent if isinstance(request, pb.HideContentRequest) else stub.ReportContent
        )
        assert_status(
            await rpc_error(method(request, metadata=admin)),  # type: ignore[arg-type]
            grpc.StatusCode.INVALID_ARGUMENT,
            field=field,
        )
    assert_status(
        await rpc_error(
            stub.HideContent(
                pb.HideContentRequest(content=comment_target("c-none")), metadata=admin
            )
        ),
        grpc.StatusCode.NOT_FOUND,
    )
