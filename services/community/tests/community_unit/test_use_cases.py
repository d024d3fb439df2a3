"""Use cases over in-memory fakes of the storage ports (no I/O)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from agora_community.domain.model import TargetKind, Visibility
from agora_community.service_layer import comments, experts, likes, popularity, spaces
from agora_community.service_layer.common import Caller, RateLimiter
from agora_community.service_layer.projections import target_published
from agora_core.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
)

from .fakes import InMemoryStore

pytestmark = pytest.mark.unit

ADA, GRACE = Caller("u-ada"), Caller("u-grace")
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


async def _item(store: InMemoryStore, space_id: str | None = None) -> str:
    await target_published(
        store,
        TargetKind.KNOWLEDGE,
        "k-1",
        owner_id="u-grace",
        space_id=space_id,
        title="Rebase",
        skill_ids=["git"],
        published_at=T0,
    )
    return "k-1"


async def test_concurrent_likes_of_one_person_write_one_event() -> None:
    store = InMemoryStore()
    item = await _item(store)
    results = await asyncio.gather(
        *(likes.like(store, ADA, TargetKind.KNOWLEDGE, item) for _ in range(100))
    )
    assert sum(results) == 1
    assert store.likes.outbox_types() == ["org.agora.community.like.added.v1"]
    assert await likes.unlike(store, ADA, TargetKind.KNOWLEDGE, item)
    assert not await likes.unlike(store, ADA, TargetKind.KNOWLEDGE, item)
    assert await likes.like(store, ADA, TargetKind.KNOWLEDGE, item)
    assert store.likes.outbox_types() == [
        "org.agora.community.like.added.v1",
        "org.agora.community.like.removed.v1",
        "org.agora.community.like.added.v1",
    ]
    entry = next(iter(store.likes.documents.values()))["outbox"][0]
    assert json.loads(entry["value"])["target_owner_id"] == "u-grace"
    assert entry["key"] == item
    # Each write with events names its document to the relay (claimed by _id, no scan).
    like_id = next(iter(store.likes.documents))
    assert [(repo, doc) for repo, doc in store.notified if repo is store.likes] == [
        (store.likes, like_id)
    ] * 3


async def test_likes_refuse_own_content_unknown_targets_and_outsiders() -> None:
    store = InMemoryStore()
    with pytest.raises(NotFound):
        await likes.like(store, ADA, TargetKind.KNOWLEDGE, "k-unknown")
    space = await spaces.create_space(
        store, GRACE, name="Guild", description="", visibility=Visibility.OPEN, topic=""
    )
    item = await _item(store, space_id=space["_id"])
    with pytest.raises(FailedPrecondition) as refused:
        await likes.like(store, GRACE, TargetKind.KNOWLEDGE, item)
    assert refused.value.current_state == "own_content"
    with pytest.raises(PermissionDenied):
        await likes.like(store, ADA, TargetKind.KNOWLEDGE, item)
    await spaces.join_space(store, ADA, space["_id"])
    assert await likes.like(store, ADA, TargetKind.KNOWLEDGE, item)


async def test_a_comment_carries_its_mentions_and_edits_keep_history() -> None:
    store = InMemoryStore()
    item = await _item(store)
    comment = await comments.post_comment(
        store,
        ADA,
        kind=TargetKind.KNOWLEDGE,
        target_id=item,
        parent_comment_id=None,
        body="hey @u-linus <script>x()</script>",
        max_mentions=3,
    )
    assert comment["body"] == "hey @u-linus "
    assert store.comments.outbox_types() == [
        "org.agora.community.comment.posted.v1",
        "org.agora.community.mention.created.v1",
    ]
    with pytest.raises(InvalidArgument):
        await comments.post_comment(
            store,
            ADA,
            kind=TargetKind.KNOWLEDGE,
            target_id=item,
            parent_comment_id=None,
            body="@a @b @c @d",
            max_mentions=3,
        )
    edited = await comments.edit_comment(store, ADA, comment["_id"], "better")
    assert [r["body"] for r in edited["revisions"]] == ["hey @u-linus "]
    with pytest.raises(PermissionDenied):
        await comments.delete_comment(store, GRACE, comment["_id"])
    tombstone = await comments.delete_comment(store, ADA, comment["_id"])
    assert (tombstone["deleted"], tombstone["body"]) == (True, "")
    assert store.comments.outbox_types()[-1] == "org.agora.community.comment.deleted.v1"
    thread = await comments.list_comments(store, ADA, TargetKind.KNOWLEDGE, item, None, 10)
    assert [c["_id"] for c in thread] == [comment["_id"]]


async def test_popularity_applies_each_event_once_even_after_a_crash_midway() -> None:
    store = InMemoryStore()

    async def like_event(event_id: str, person: str) -> bool:
        return await popularity.apply_event(
            store,
            event_id=event_id,
            kind="knowledge",
            target_id="k-1",
            at=T0,
            half_life_hours=24,
            likes=1,
            participant=person,
            weight=1.0,
        )

    assert await like_event("e-1", "u-ada")
    assert not await like_event("e-1", "u-ada")  # redelivery
    # A crash after recording the participant but before the popularity write: the
    # redelivery must still count the participant.
    assert await popularity.new_participant(store, "knowledge", "k-1", "u-bob", "e-2")
    assert await like_event("e-2", "u-bob")
    document = store.popularity.documents["acme:knowledge:k-1"]
    assert (document["likes"], document["participants"]) == (2, 2)
    assert store.popularity.outbox_types() == ["org.agora.community.popularity.changed.v1"] * 2
    ranked = await popularity.trending(store, TargetKind.KNOWLEDGE, 5, 24)
    assert [item["target_id"] for item in ranked] == ["k-1"]


async def test_evidence_counts_once_and_experts_are_proposed_by_summed_score() -> None:
    store = InMemoryStore()
    await experts.record_evidence(
        store, "u-linus", ["git"], "validated_contributions", "contribution:k-1"
    )
    await experts.record_evidence(
        store, "u-linus", ["git"], "validated_contributions", "contribution:k-1"
    )
    await experts.record_evidence(store, "u-ada", ["git", "sql"], "quiz_passes", "quiz:k-q")
    await experts.record_evidence(store, "u-ada", ["sql"], "completions", "completion:k-2")
    await experts.record_evidence(store, "u-bob", ["git"], "quiz_failures", "quiz-failed:a-1")
    git = await experts.find_experts(store, "git", None, 10)
    assert [(e["user_id"], e["score"]) for e in git] == [("u-linus", 5.0), ("u-ada", 2.0)]
    proposed = await experts.propose_experts(store, ["git", "sql"], exclude="u-linus", count=3)
    assert proposed == ["u-ada"]


async def test_the_rate_limiter_refuses_past_the_limit_per_person() -> None:
    store = InMemoryStore()
    limiter = RateLimiter({"post": 2}, window_seconds=3600)
    await limiter.spend(store, "post", "u-ada")
    await limiter.spend(store, "post", "u-ada")
    with pytest.raises(ResourceExhausted) as refused:
        await limiter.spend(store, "post", "u-ada")
    assert refused.value.retry_after_seconds is not None
    assert 0 <= refused.value.retry_after_seconds <= timedelta(hours=1).total_seconds()
    await limiter.spend(store, "post", "u-bob")


async def test_the_last_owner_cannot_leave_and_invite_only_needs_an_invitation() -> None:
    store = InMemoryStore()
    space = await spaces.create_space(
        store, GRACE, name="Secret", description="", visibility=Visibility.INVITE_ONLY, topic=""
    )
    assert store.memberships.outbox_types() == ["org.agora.community.member.joined.v1"]
    with pytest.raises(PermissionDenied):
        await spaces.join_space(store, ADA, space["_id"])
    await spaces.invite(store, GRACE, space["_id"], "u-ada")
    member = await spaces.join_space(store, ADA, space["_id"])
    assert (member["state"], member["invited_by"]) == ("active", "u-grace")
    with pytest.raises(FailedPrecondition):
        await spaces.leave_space(store, GRACE, space["_id"])
    await spaces.leave_space(store, ADA, space["_id"])
    assert store.memberships.outbox_types().count("org.agora.community.member.left.v1") == 1
