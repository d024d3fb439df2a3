"""Events community consumes: catalog paths, poison records, redeliveries."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import grpc
import pytest

from agora.community.v1 import community_pb2 as pb
from agora_contracts.events.domains.catalog import (
    KNOWLEDGE_TOPIC,
    KnowledgePublishedV1,
    PathArchivedV1,
    PathPublishedV1,
    PathStepV1,
)
from agora_contracts.events.domains.community import COMMENTS_TOPIC
from agora_core.messaging.dead_letters import dlq_topic
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_raw, tapping
from agora_core.testing.grpc_assertions import assert_status, rpc_error

from .support import EVENT_WAIT, Community, event_of, knowledge

pytestmark = pytest.mark.integration


async def test_paths_become_targets_with_their_author_until_archived(
    community: Community, tenant: str
) -> None:
    stub = community.stub
    path_id = f"p-{uuid.uuid4().hex[:6]}"
    path = pb.Target(type=pb.TARGET_TYPE_PATH, id=path_id)
    published = event_of(
        PathPublishedV1(
            path_id=path_id,
            title="Onboarding",
            author_id="u-grace",
            steps=(PathStepV1(item_id="k-1", mandatory=True),),
            published_at=datetime.now(UTC),
        ),
        tenant=tenant,
        subject=path_id,
    )
    await community.publish(published, published)
    await community.wait_known(tenant, path)
    async with tapping(community.kafka, [COMMENTS_TOPIC]) as tap:
        await stub.PostComment(
            pb.PostCommentRequest(target=path, body="Great path"),
            metadata=community.as_user(tenant, "u-ada"),
        )
        posted = await tap.wait_for(
            "org.agora.community.comment.posted.v1",
            tenant=tenant,
            subject=path_id,
            timeout=EVENT_WAIT,
        )
        assert posted[0].data["target_owner_id"] == "u-grace"
        assert posted[0].data["target_type"] == "path"
    assert_status(
        await rpc_error(
            stub.Like(pb.LikeRequest(target=path), metadata=community.as_user(tenant, "u-grace"))
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    await community.publish(
        event_of(
            PathArchivedV1(path_id=path_id, archived_at=datetime.now(UTC)),
            tenant=tenant,
            subject=path_id,
        )
    )
    ada = community.as_user(tenant, "u-ada")

    async def archived() -> bool:
        try:
            await stub.PostComment(pb.PostCommentRequest(target=path, body="late"), metadata=ada)
        except grpc.aio.AioRpcError as error:
            return error.code() == grpc.StatusCode.FAILED_PRECONDITION
        return False

    await eventually(archived, timeout=120)


async def test_a_malformed_event_goes_to_the_dead_letter_topic_and_the_next_is_handled(
    community: Community, tenant: str
) -> None:
    item = f"k-{uuid.uuid4().hex[:6]}"
    good = event_of(
        _published(item),
        tenant=tenant,
        subject=item,
    )
    async with tapping(community.kafka, [dlq_topic(KNOWLEDGE_TOPIC)]) as dlq:
        headers = dict(good.headers)
        headers["ce_id"] = str(uuid.uuid4())
        await publish_raw(
            community.kafka,
            KNOWLEDGE_TOPIC,
            value=json.dumps({"item_id": item, "title": 42}).encode(),
            headers=headers,
            key=item.encode(),
        )
        await community.publish(good)
        await community.wait_known(tenant, knowledge(item))

        async def dead_lettered() -> bool:
            return any(
                e.tenant_id == tenant and e.envelope.id == uuid.UUID(headers["ce_id"])
                for e in dlq.events
            )

        await eventually(dead_lettered, timeout=120)


def _published(item: str) -> KnowledgePublishedV1:
    return KnowledgePublishedV1(
        item_id=item,
        item_type="video",
        title="Streams",
        author_id="u-grace",
        version=1,
        validated=False,
        language="en",
        published_at=datetime.now(UTC),
    )
