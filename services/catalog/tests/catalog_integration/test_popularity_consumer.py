"""Community events consumed for popularity: applied once, redeliveries change nothing,
other tenants' events touch nothing, malformed payloads are dead-lettered."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from agora.catalog.v1 import catalog_pb2 as pb
from agora_contracts.events.domains.community import (
    LIKES_TOPIC,
    CommentPostedV1,
    LikeAddedV1,
    LikeRemovedV1,
)
from agora_contracts.events.envelope import new_envelope
from agora_core.messaging.events import OutgoingEvent
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events, publish_raw, tapping

from .helpers import Tenant, wiki

pytestmark = pytest.mark.integration


def _like(
    tenant: str,
    target_id: str,
    *,
    target_type: str = "knowledge",
    event_id: uuid.UUID | None = None,
) -> OutgoingEvent:
    return OutgoingEvent.create(
        LikeAddedV1(
            like_id=uuid.uuid4().hex,
            target_type=target_type,
            target_id=target_id,
            liker_id="u-fan",
            liked_at=datetime.now(UTC),
        ),
        source="/agora/community",
        subject=target_id,
        tenant_id=tenant,
        actor_id="u-fan",
        event_id=event_id or uuid.uuid4(),
    )


def _unlike(tenant: str, target_id: str) -> OutgoingEvent:
    return OutgoingEvent.create(
        LikeRemovedV1(
            like_id=uuid.uuid4().hex,
            target_type="knowledge",
            target_id=target_id,
            liker_id="u-fan",
            removed_at=datetime.now(UTC),
        ),
        source="/agora/community",
        subject=target_id,
        tenant_id=tenant,
        actor_id="u-fan",
    )


def _comment(tenant: str, target_id: str) -> OutgoingEvent:
    return OutgoingEvent.create(
        CommentPostedV1(
            comment_id=uuid.uuid4().hex,
            target_type="knowledge",
            target_id=target_id,
            author_id="u-talker",
            excerpt="Nice",
            posted_at=datetime.now(UTC),
        ),
        source="/agora/community",
        subject=target_id,
        tenant_id=tenant,
        actor_id="u-talker",
    )


async def _counts(tenant: Tenant, item_id: str) -> tuple[int, int]:
    item = (
        await tenant.stub.GetItem(pb.GetItemRequest(item_id=item_id), metadata=tenant.learner)
    ).item
    return item.like_count, item.comment_count


async def test_likes_and_comments_counted_once(tenant: Tenant, kafka_bootstrap: str) -> None:
    t = tenant.tenant_id
    quiet = await tenant.publish(wiki(title="Quiet page"))
    loved = await tenant.publish(wiki(title="Loved page"))
    like = _like(t, loved.item_id)
    await publish_events(
        kafka_bootstrap,
        [like, _like(t, loved.item_id), _comment(t, loved.item_id), _like(t, quiet.item_id)],
    )

    async def counted() -> bool:
        return await _counts(tenant, loved.item_id) == (2, 1)

    await eventually(counted)
    # Redelivery of the same event id, then an unlike; the unlike is the marker that
    # the redelivery was consumed before it (same partition: keyed by target).
    await publish_events(kafka_bootstrap, [like, _unlike(t, loved.item_id)])

    async def unliked() -> bool:
        return await _counts(tenant, loved.item_id) == (1, 1)

    await eventually(unliked)
    stored = await tenant.row("SELECT popularity FROM items WHERE item_id = %s", loved.item_id)
    assert stored is not None
    assert stored["popularity"] == 1 + 2  # likes + 2 x comments
    # The redelivery was recognised by its processed mark, committed with the counters.
    marks = await tenant.row(
        "SELECT count(*) AS n FROM processed_events WHERE event_id::text = %s", like.event_id
    )
    assert marks == {"n": 1}
    by_popularity = await tenant.stub.SearchItems(
        pb.SearchItemsRequest(sort=pb.SEARCH_SORT_POPULARITY), metadata=tenant.learner
    )
    assert [i.item_id for i in by_popularity.items] == [loved.item_id, quiet.item_id]


async def test_other_tenants_events_change_nothing(tenant: Tenant, kafka_bootstrap: str) -> None:
    item = await tenant.publish(wiki(title="Target"))
    path = await tenant.published_path([(item.item_id, True)])
    # Same ids, another tenant: must not touch this tenant's counters. This tenant's
    # own like follows on the same key (same partition), so once it is counted the
    # foreign one has been consumed too.
    await publish_events(
        kafka_bootstrap,
        [
            _like(f"{tenant.tenant_id}-evil", item.item_id),
            _like(tenant.tenant_id, item.item_id),
            _like(tenant.tenant_id, path.path_id, target_type="path"),
        ],
    )

    async def liked_once() -> bool:
        return await _counts(tenant, item.item_id) == (1, 0)

    async def path_liked() -> bool:
        found = await tenant.stub.GetPath(
            pb.GetPathRequest(path_id=path.path_id), metadata=tenant.learner
        )
        return found.path.like_count == 1

    await eventually(liked_once)
    await eventually(path_liked)
    assert await _counts(tenant, item.item_id) == (1, 0)


async def test_malformed_like_goes_to_the_dead_letter_topic(
    tenant: Tenant, kafka_bootstrap: str
) -> None:
    item = await tenant.publish(wiki(title="Target"))
    envelope = new_envelope(
        type="org.agora.community.like.added.v1",
        source="/agora/community",
        subject=item.item_id,
        tenant_id=tenant.tenant_id,
    )
    async with tapping(kafka_bootstrap, [f"{LIKES_TOPIC}.dlq"]) as tap:
        await publish_raw(
            kafka_bootstrap,
            LIKES_TOPIC,
            json.dumps({"target_id": item.item_id}).encode(),
            envelope.to_headers(),
            key=item.item_id.encode(),
        )

        async def dead_lettered() -> bool:
            return any(e.envelope.id == envelope.id for e in tap.events)

        await eventually(dead_lettered)
    await publish_events(kafka_bootstrap, [_comment(tenant.tenant_id, item.item_id)])

    async def commented() -> bool:
        return await _counts(tenant, item.item_id) == (0, 1)

    await eventually(commented)  # the partition kept flowing after the poison record
