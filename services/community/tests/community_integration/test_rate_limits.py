"""Per-person fixed-window rate limits on posting and liking (their own service instance)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from agora.community.v1 import community_pb2 as pb
from agora_core.testing.grpc_assertions import assert_status, rpc_error

from .conftest import started_community
from .support import Community, knowledge

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def limited(kafka_bootstrap: str, postgres_admin_dsn: str) -> AsyncIterator[Community]:
    async with started_community(
        kafka_bootstrap,
        postgres_admin_dsn,
        rate_limit_posts=3,
        rate_limit_likes=4,
        rate_limit_window_seconds=3600,
    ) as running:
        yield running


async def test_posting_and_liking_are_limited_per_person(limited: Community, tenant: str) -> None:
    stub = limited.stub
    item = await limited.known_item(tenant, author="u-grace")
    ada, bob = limited.as_user(tenant, "u-ada"), limited.as_user(tenant, "u-bob")
    for n in range(3):
        await stub.PostComment(
            pb.PostCommentRequest(target=knowledge(item), body=f"{n}"), metadata=ada
        )
    error = await rpc_error(
        stub.PostComment(
            pb.PostCommentRequest(target=knowledge(item), body="one more"), metadata=ada
        )
    )
    assert_status(error, grpc.StatusCode.RESOURCE_EXHAUSTED)
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    retry = error_details_pb2.RetryInfo()
    assert any(detail.Unpack(retry) for detail in status.details)
    assert retry.retry_delay.seconds > 0
    # Questions count as posts too; another person has their own budget.
    assert_status(
        await rpc_error(
            stub.AskQuestion(pb.AskQuestionRequest(title="Q", skill_ids=["x"]), metadata=ada)
        ),
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    )
    await stub.PostComment(pb.PostCommentRequest(target=knowledge(item), body="mine"), metadata=bob)

    for _ in range(2):
        await stub.Like(pb.LikeRequest(target=knowledge(item)), metadata=bob)
        await stub.Unlike(pb.UnlikeRequest(target=knowledge(item)), metadata=bob)
    assert_status(
        await rpc_error(stub.Like(pb.LikeRequest(target=knowledge(item)), metadata=bob)),
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    )
    # The same limit in another tenant is another budget.
    other = limited.as_user(f"{tenant}-other", "u-bob")
    other_item = await limited.known_item(f"{tenant}-other", author="u-grace")
    assert (await stub.Like(pb.LikeRequest(target=knowledge(other_item)), metadata=other)).changed
