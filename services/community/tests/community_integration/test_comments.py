"""Comment threads: sanitising, mentions, edits, tombstones, pages, spaces, tenants."""

from __future__ import annotations

import grpc
import pytest

from agora.community.v1 import community_pb2 as pb
from agora_contracts.events.domains.community import COMMENTS_TOPIC, POPULARITY_TOPIC
from agora_core.testing.event_tap import tapping
from agora_core.testing.grpc_assertions import assert_status, rpc_error

from .support import EVENT_WAIT, Community, knowledge

pytestmark = pytest.mark.integration

POSTED = "org.agora.community.comment.posted.v1"
MENTIONED = "org.agora.community.mention.created.v1"
DELETED = "org.agora.community.comment.deleted.v1"


async def test_a_comment_is_sanitised_and_announced_with_its_mentions(
    community: Community, tenant: str
) -> None:
    item = await community.known_item(tenant, author="u-grace")
    body = (
        "Thanks @u-linus and @u-ada! <script>alert('x')</script>"
        "[click](javascript:alert(1)) <img src=x onerror=alert(1)> mail ada@example.com"
    )
    async with tapping(community.kafka, [COMMENTS_TOPIC]) as tap:
        posted = await community.stub.PostComment(
            pb.PostCommentRequest(target=knowledge(item), body=body),
            metadata=community.as_user(tenant, "u-bob"),
        )
        comment = posted.comment
        assert "<script" not in comment.body
        assert "alert('x')" not in comment.body
        assert "javascript:" not in comment.body
        assert "onerror" not in comment.body
        assert "[click](#)" in comment.body
        assert list(comment.mentioned_user_ids) == ["u-linus", "u-ada"]

        event = (await tap.wait_for(POSTED, tenant=tenant, subject=item, timeout=EVENT_WAIT))[0]
        assert event.data["comment_id"] == comment.comment_id
        assert event.data["target_type"] == "knowledge"
        assert event.data["author_id"] == "u-bob"
        assert event.data["target_owner_id"] == "u-grace"
        assert event.data["mentioned_user_ids"] == ["u-linus", "u-ada"]
        assert event.envelope.actorid == "u-bob"
        mentions = await tap.wait_for(MENTIONED, tenant=tenant, count=2, timeout=EVENT_WAIT)
        assert sorted(m.data["mentioned_user_id"] for m in mentions) == ["u-ada", "u-linus"]
        assert {m.data["comment_id"] for m in mentions} == {comment.comment_id}


async def test_editing_keeps_history_and_deleting_leaves_a_tombstone(
    community: Community, tenant: str
) -> None:
    stub = community.stub
    item = await community.known_item(tenant)
    bob, ada = community.as_user(tenant, "u-bob"), community.as_user(tenant, "u-ada")
    first = (
        await stub.PostComment(
            pb.PostCommentRequest(target=knowledge(item), body="v1"), metadata=bob
        )
    ).comment
    second = (
        await stub.PostComment(
            pb.PostCommentRequest(
                target=knowledge(item), body="a reply", parent_comment_id=first.comment_id
            ),
            metadata=ada,
        )
    ).comment
    assert second.parent_comment_id == first.comment_id

    edited = await stub.EditComment(
        pb.EditCommentRequest(comment_id=first.comment_id, body="v2"), metadata=bob
    )
    assert edited.comment.body == "v2"
    assert edited.comment.edit_count == 1
    assert_status(
        await rpc_error(
            stub.EditComment(
                pb.EditCommentRequest(comment_id=first.comment_id, body="mine"), metadata=ada
            )
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert_status(
        await rpc_error(
            stub.DeleteComment(pb.DeleteCommentRequest(comment_id=first.comment_id), metadata=ada)
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    history = await stub.GetComment(pb.GetCommentRequest(comment_id=first.comment_id), metadata=bob)
    assert [r.body for r in history.comment.revisions] == ["v1"]

    async with tapping(community.kafka, [COMMENTS_TOPIC, POPULARITY_TOPIC]) as tap:
        await stub.DeleteComment(pb.DeleteCommentRequest(comment_id=first.comment_id), metadata=bob)
        deleted = (await tap.wait_for(DELETED, tenant=tenant, subject=item, timeout=EVENT_WAIT))[0]
        assert deleted.data["comment_id"] == first.comment_id
        assert deleted.data["author_id"] == "u-bob"
        # The tombstone no longer counts as a visible comment; its author stays a participant.
        # (Matched on both figures: the tap may still see the change the first comment
        # made, comments 1 and participants 1, if popularity lags behind.)
        await tap.wait_for(
            "org.agora.community.popularity.changed.v1",
            tenant=tenant,
            subject=item,
            where=lambda d: d["comments"] == 1 and d["participants"] == 2,
            timeout=EVENT_WAIT,
        )
    thread = await stub.ListComments(pb.ListCommentsRequest(target=knowledge(item)), metadata=ada)
    assert [(c.comment_id, c.deleted, c.body) for c in thread.comments] == [
        (first.comment_id, True, ""),
        (second.comment_id, False, "a reply"),
    ]
    error = await rpc_error(
        stub.EditComment(
            pb.EditCommentRequest(comment_id=first.comment_id, body="v3"), metadata=bob
        )
    )
    assert_status(error, grpc.StatusCode.FAILED_PRECONDITION)
    assert "deleted" in (error.details() or "")
    # The tombstone cannot be replied to or liked.
    assert_status(
        await rpc_error(
            stub.Like(
                pb.LikeRequest(target=pb.Target(type=pb.TARGET_TYPE_COMMENT, id=first.comment_id)),
                metadata=ada,
            )
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )


async def test_threads_are_paged_with_keyset_tokens(community: Community, tenant: str) -> None:
    stub = community.stub
    item = await community.known_item(tenant)
    bob = community.as_user(tenant, "u-bob")
    posted = [
        (
            await stub.PostComment(
                pb.PostCommentRequest(target=knowledge(item), body=f"comment {n}"), metadata=bob
            )
        ).comment.comment_id
        for n in range(5)
    ]
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page = await stub.ListComments(
            pb.ListCommentsRequest(target=knowledge(item), page_size=2, page_token=token),
            metadata=bob,
        )
        pages += 1
        seen.extend(c.comment_id for c in page.comments)
        token = page.next_page_token
        if not token:
            break
    assert seen == posted
    assert pages == 3
    assert_status(
        await rpc_error(
            stub.ListComments(
                pb.ListCommentsRequest(target=knowledge(item), page_token="garbage!"), metadata=bob
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="page_token",
    )


async def test_bad_input_and_unknown_targets(community: Community, tenant: str) -> None:
    stub = community.stub
    bob = community.as_user(tenant, "u-bob")
    item = await community.known_item(tenant)
    cases = [
        (pb.PostCommentRequest(target=knowledge(item), body="x" * 10_001), "body"),
        (pb.PostCommentRequest(target=knowledge(item), body=""), "body"),
        (pb.PostCommentRequest(target=knowledge(item), body="<script>only</script>"), "body"),
        (pb.PostCommentRequest(target=pb.Target(id=item), body="hi"), "target.type"),
        (
            pb.PostCommentRequest(target=pb.Target(type=pb.TARGET_TYPE_KNOWLEDGE), body="hi"),
            "target.id",
        ),
        (pb.PostCommentRequest(target=knowledge("x" * 129), body="hi"), "target.id"),
        (
            pb.PostCommentRequest(
                target=knowledge(item), body=" ".join(f"@u-{n}" for n in range(11))
            ),
            "body",
        ),
    ]
    for request, field in cases:
        assert_status(
            await rpc_error(stub.PostComment(request, metadata=bob)),
            grpc.StatusCode.INVALID_ARGUMENT,
            field=field,
        )
    for target in (
        knowledge("k-never-published"),
        pb.Target(type=pb.TARGET_TYPE_COMMENT, id="c-none"),
        pb.Target(type=pb.TARGET_TYPE_QUESTION, id="q-none"),
        pb.Target(type=pb.TARGET_TYPE_PATH, id="p-none"),
    ):
        assert_status(
            await rpc_error(
                stub.PostComment(pb.PostCommentRequest(target=target, body="hi"), metadata=bob)
            ),
            grpc.StatusCode.NOT_FOUND,
        )
    assert_status(
        await rpc_error(
            stub.PostComment(
                pb.PostCommentRequest(
                    target=knowledge(item), body="hi", parent_comment_id="c-none"
                ),
                metadata=bob,
            )
        ),
        grpc.StatusCode.NOT_FOUND,
    )


async def test_posting_in_a_space_needs_membership_and_tenants_are_apart(
    community: Community, tenant: str
) -> None:
    stub = community.stub
    space = await community.space(tenant, "u-owner")
    item = await community.known_item(tenant, space_id=space.space_id)
    outsider = community.as_user(tenant, "u-outsider")
    assert_status(
        await rpc_error(
            stub.PostComment(
                pb.PostCommentRequest(target=knowledge(item), body="hi"), metadata=outsider
            )
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert_status(
        await rpc_error(stub.Like(pb.LikeRequest(target=knowledge(item)), metadata=outsider)),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await stub.JoinSpace(pb.JoinSpaceRequest(space_id=space.space_id), metadata=outsider)
    posted = await stub.PostComment(
        pb.PostCommentRequest(target=knowledge(item), body="now I may"), metadata=outsider
    )
    assert posted.comment.space_id == space.space_id

    other = community.as_user(f"{tenant}-other", "u-outsider")
    assert_status(
        await rpc_error(
            stub.GetComment(
                pb.GetCommentRequest(comment_id=posted.comment.comment_id), metadata=other
            )
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    assert_status(
        await rpc_error(
            stub.ListComments(pb.ListCommentsRequest(target=knowledge(item)), metadata=other)
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    assert_status(
        await rpc_error(
            stub.EditComment(
                pb.EditCommentRequest(comment_id=posted.comment.comment_id, body="hijack"),
                metadata=other,
            )
        ),
        grpc.StatusCode.NOT_FOUND,
    )
