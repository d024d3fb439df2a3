"""Likes (idempotent, storm-proof, no self-likes) and popularity maintained from events."""

from __future__ import annotations

import asyncio
import json

import grpc
import pytest

from agora.community.v1 import community_pb2 as pb
from agora_contracts.events.domains.community import LIKES_TOPIC, POPULARITY_TOPIC
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_raw, tapping
from agora_core.testing.grpc_assertions import assert_status, rpc_error

from .support import EVENT_WAIT, Community, knowledge

pytestmark = pytest.mark.integration

ADDED = "org.agora.community.like.added.v1"
REMOVED = "org.agora.community.like.removed.v1"
CHANGED = "org.agora.community.popularity.changed.v1"


async def test_like_and_unlike_are_idempotent_and_announced(
    community: Community, tenant: str
) -> None:
    stub = community.stub
    item = await community.known_item(tenant, author="u-grace")
    ada = community.as_user(tenant, "u-ada")
    async with tapping(community.kafka, [LIKES_TOPIC, POPULARITY_TOPIC]) as tap:
        assert (await stub.Like(pb.LikeRequest(target=knowledge(item)), metadata=ada)).changed
        assert not (await stub.Like(pb.LikeRequest(target=knowledge(item)), metadata=ada)).changed
        added = (await tap.wait_for(ADDED, tenant=tenant, subject=item, timeout=EVENT_WAIT))[0]
        assert added.data["liker_id"] == "u-ada"
        assert added.data["target_owner_id"] == "u-grace"
        assert added.data["target_type"] == "knowledge"
        assert added.key == item
        await tap.wait_for(
            CHANGED,
            tenant=tenant,
            subject=item,
            where=lambda d: d["likes"] == 1,
            timeout=EVENT_WAIT,
        )

        assert (await stub.Unlike(pb.UnlikeRequest(target=knowledge(item)), metadata=ada)).changed
        assert not (
            await stub.Unlike(pb.UnlikeRequest(target=knowledge(item)), metadata=ada)
        ).changed
        removed = (await tap.wait_for(REMOVED, tenant=tenant, subject=item, timeout=EVENT_WAIT))[0]
        assert removed.data["like_id"] == added.data["like_id"]
        assert removed.data["target_owner_id"] == "u-grace"
        await tap.wait_for(
            CHANGED,
            tenant=tenant,
            subject=item,
            where=lambda d: d["likes"] == 0,
            timeout=EVENT_WAIT,
        )
        assert len(tap.matching(ADDED, tenant=tenant)) == 1
        assert len(tap.matching(REMOVED, tenant=tenant)) == 1
    popularity = await community.popularity(tenant, knowledge(item), user="u-ada")
    assert popularity.likes == 0
    assert popularity.participants == 1
    assert not popularity.liked_by_me


async def test_a_like_storm_leaves_exactly_one_like(community: Community, tenant: str) -> None:
    stub = community.stub
    item = await community.known_item(tenant, author="u-grace")
    ada = community.as_user(tenant, "u-ada")
    async with tapping(community.kafka, [LIKES_TOPIC, POPULARITY_TOPIC]) as tap:
        changed = 0
        for _ in range(5):  # 5 waves of 200 concurrent calls: 1000 likes by one person
            responses = await asyncio.gather(
                *(
                    stub.Like(pb.LikeRequest(target=knowledge(item)), metadata=ada)
                    for _ in range(200)
                )
            )
            changed += sum(r.changed for r in responses)
        assert changed == 1
        await tap.wait_for(
            CHANGED,
            tenant=tenant,
            subject=item,
            where=lambda d: d["likes"] == 1,
            timeout=EVENT_WAIT,
        )
        assert len(tap.matching(ADDED, tenant=tenant, subject=item)) == 1
    popularity = await community.popularity(tenant, knowledge(item), user="u-ada")
    assert popularity.likes == 1
    assert popularity.liked_by_me


async def test_self_likes_are_refused_and_bad_targets_rejected(
    community: Community, tenant: str
) -> None:
    stub = community.stub
    item = await community.known_item(tenant, author="u-grace")
    error = await rpc_error(
        stub.Like(
            pb.LikeRequest(target=knowledge(item)), metadata=community.as_user(tenant, "u-grace")
        )
    )
    assert_status(error, grpc.StatusCode.FAILED_PRECONDITION)
    assert "own_content" in (error.details() or "")
    ada = community.as_user(tenant, "u-ada")
    assert_status(
        await rpc_error(stub.Like(pb.LikeRequest(target=knowledge("k-unknown")), metadata=ada)),
        grpc.StatusCode.NOT_FOUND,
    )
    assert_status(
        await rpc_error(stub.Like(pb.LikeRequest(target=pb.Target(id=item)), metadata=ada)),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="target.type",
    )
    assert_status(
        await rpc_error(stub.GetPopularity(pb.GetPopularityRequest(targets=[]), metadata=ada)),
        grpc.StatusCode.INVALID_ARGUMENT,
        field="targets",
    )
    # Another tenant cannot like it: the item is unknown there.
    assert_status(
        await rpc_error(
            stub.Like(
                pb.LikeRequest(target=knowledge(item)),
                metadata=community.as_user(f"{tenant}-other", "u-ada"),
            )
        ),
        grpc.StatusCode.NOT_FOUND,
    )


async def test_popularity_combines_likes_comments_and_participants(
    community: Community, tenant: str
) -> None:
    stub = community.stub
    hot = await community.known_item(tenant, author="u-grace")
    cold = await community.known_item(tenant, author="u-grace")
    async with tapping(community.kafka, [POPULARITY_TOPIC]) as tap:
        for user in ("u-ada", "u-bob"):
            await stub.Like(
                pb.LikeRequest(target=knowledge(hot)), metadata=community.as_user(tenant, user)
            )
        for user, body in (("u-bob", "great"), ("u-carl", "indeed"), ("u-carl", "again")):
            await stub.PostComment(
                pb.PostCommentRequest(target=knowledge(hot), body=body),
                metadata=community.as_user(tenant, user),
            )
        await stub.Like(
            pb.LikeRequest(target=knowledge(cold)), metadata=community.as_user(tenant, "u-ada")
        )
        final = await tap.wait_for(
            CHANGED,
            tenant=tenant,
            subject=hot,
            where=lambda d: d["likes"] == 2 and d["comments"] == 3,
            timeout=EVENT_WAIT,
        )
        assert final[-1].data["participants"] == 3
        assert final[-1].data["trending_score"] > 0
        await tap.wait_for(CHANGED, tenant=tenant, subject=cold, timeout=EVENT_WAIT)
    popularity = await community.popularity(tenant, knowledge(hot))
    assert (popularity.likes, popularity.comments, popularity.participants) == (2, 3, 3)
    # like 1 + like 1 + 3 comments x 2, barely decayed within the test.
    assert 7.9 < popularity.trending_score <= 8.0
    trending = await stub.ListTrending(
        pb.ListTrendingRequest(target_type=pb.TARGET_TYPE_KNOWLEDGE, limit=10),
        metadata=community.as_user(tenant, "u-ada"),
    )
    assert [p.target.id for p in trending.popularity] == [hot, cold]
    assert [p.liked_by_me for p in trending.popularity] == [True, True]


async def test_a_redelivered_like_event_changes_popularity_once(
    community: Community, tenant: str
) -> None:
    stub = community.stub
    item = await community.known_item(tenant, author="u-grace")
    async with tapping(community.kafka, [LIKES_TOPIC, POPULARITY_TOPIC]) as tap:
        await stub.Like(
            pb.LikeRequest(target=knowledge(item)), metadata=community.as_user(tenant, "u-ada")
        )
        added = (await tap.wait_for(ADDED, tenant=tenant, subject=item, timeout=EVENT_WAIT))[0]
        await tap.wait_for(
            CHANGED,
            tenant=tenant,
            subject=item,
            where=lambda d: d["likes"] == 1,
            timeout=EVENT_WAIT,
        )
        # The same record again (same event id), as a producer retry would send it.
        await publish_raw(
            community.kafka,
            LIKES_TOPIC,
            value=json.dumps(added.data).encode(),
            headers=added.envelope.to_headers(),
            key=item.encode(),
        )
        # A later like on the same target (same partition) is handled after the duplicate.
        await stub.Like(
            pb.LikeRequest(target=knowledge(item)), metadata=community.as_user(tenant, "u-bob")
        )
        await tap.wait_for(
            CHANGED,
            tenant=tenant,
            subject=item,
            where=lambda d: d["likes"] == 2,
            timeout=EVENT_WAIT,
        )
        assert [e.data["likes"] for e in tap.matching(CHANGED, tenant=tenant, subject=item)] == [
            1,
            2,
        ]

    async def two_likes() -> bool:
        return (await community.popularity(tenant, knowledge(item))).likes == 2

    await eventually(two_likes)
