"""Use cases over in-memory fakes of the storage ports (no I/O)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from agora_community.domain.model import CatalogTarget, TargetKind, Visibility
from agora_community.service_layer import comments, experts, likes, popularity, spaces
from agora_community.service_layer.popularity import Engagement
from agora_community.service_layer.projections import target_published
from agora_community.service_layer.rate_limits import LIKE, POST, RateLimits, spend
from agora_core.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
)
from agora_core.identity import Principal

from .fakes_engagement import FakeUnitsOfWork

pytestmark = pytest.mark.unit

TENANT = "acme"
ADA, GRACE = Principal("u-ada", TENANT), Principal("u-grace", TENANT)
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
LIMITS = RateLimits(3600, {POST: 1000, LIKE: 1000})


async def _item(uows: FakeUnitsOfWork, space_id: str | None = None) -> str:
    async with uows(TENANT) as uow:
        await target_published(
            uow,
            CatalogTarget(
                TargetKind.KNOWLEDGE, "k-1", "u-grace", space_id, "Rebase", ("git",), False, T0
            ),
        )
    return "k-1"


async def test_concurrent_likes_of_one_person_write_one_event() -> None:
    uows = FakeUnitsOfWork()
    item = await _item(uows)
    results = await asyncio.gather(
        *(likes.like(uows, ADA, LIMITS, TargetKind.KNOWLEDGE, item) for _ in range(100))
    )
    assert sum(results) == 1
    assert uows.types() == ["org.agora.community.like.added.v1"]
    assert await likes.unlike(uows, ADA, LIMITS, TargetKind.KNOWLEDGE, item)
    assert not await likes.unlike(uows, ADA, LIMITS, TargetKind.KNOWLEDGE, item)
    assert await likes.like(uows, ADA, LIMITS, TargetKind.KNOWLEDGE, item)
    assert uows.types() == [
        "org.agora.community.like.added.v1",
        "org.agora.community.like.removed.v1",
        "org.agora.community.like.added.v1",
    ]
    first = uows.published[0]
    assert json.loads(first.value)["target_owner_id"] == "u-grace"
    assert first.key == item


async def test_likes_refuse_own_content_unknown_targets_and_outsiders() -> None:
    uows = FakeUnitsOfWork()
    with pytest.raises(NotFound):
        await likes.like(uows, ADA, LIMITS, TargetKind.KNOWLEDGE, "k-unknown")
    space = await spaces.create_space(
        uows, GRACE, name="Guild", description="", visibility=Visibility.OPEN, topic=""
    )
    item = await _item(uows, space_id=space.space_id)
    with pytest.raises(FailedPrecondition) as refused:
        await likes.like(uows, GRACE, LIMITS, TargetKind.KNOWLEDGE, item)
    assert refused.value.current_state == "own_content"
    with pytest.raises(PermissionDenied):
        await likes.like(uows, ADA, LIMITS, TargetKind.KNOWLEDGE, item)
    await spaces.join_space(uows, ADA, space.space_id)
    assert await likes.like(uows, ADA, LIMITS, TargetKind.KNOWLEDGE, item)
    assert uows.of(TENANT).spaces[space.space_id].member_count == 2


async def test_a_comment_carries_its_mentions_and_edits_keep_history() -> None:
    uows = FakeUnitsOfWork()
    item = await _item(uows)

    async def post(body: str) -> str:
        comment = await comments.post_comment(
            uows,
            ADA,
            LIMITS,
            kind=TargetKind.KNOWLEDGE,
            target_id=item,
            parent_comment_id=None,
            body=body,
            max_mentions=3,
        )
        assert comment.body == "hey @u-linus "
        return comment.comment_id

    comment_id = await post("hey @u-linus <script>x()</script>")
    assert uows.types() == [
        "org.agora.community.comment.posted.v1",
        "org.agora.community.mention.created.v1",
    ]
    with pytest.raises(InvalidArgument):
        await post("@a @b @c @d")
    edited = await comments.edit_comment(uows, ADA, comment_id, "better")
    assert [r.body for r in edited.revisions] == ["hey @u-linus "]
    assert edited.edit_count == 1
    with pytest.raises(PermissionDenied):
        await comments.delete_comment(uows, GRACE, comment_id)
    tombstone = await comments.delete_comment(uows, ADA, comment_id)
    assert (tombstone.deleted, tombstone.body, tombstone.edit_count) == (True, "", 1)
    assert uows.types()[-1] == "org.agora.community.comment.deleted.v1"
    thread = await comments.list_comments(uows, ADA, TargetKind.KNOWLEDGE, item, 10, "")
    assert [c.comment_id for c in thread.items] == [comment_id]


async def test_popularity_counts_participants_once_and_writes_a_target_once_per_batch() -> None:
    uows = FakeUnitsOfWork()

    def like(person: str, hours: float = 0) -> Engagement:
        at = T0 + timedelta(hours=hours)
        return Engagement("knowledge", "k-1", at, likes=1, participant=person, weight=1.0)

    async with uows(TENANT) as uow:
        await popularity.apply_many(uow, [like("u-ada"), like("u-bob"), like("u-ada")], 24)
    async with uows(TENANT) as uow:
        await popularity.apply(uow, Engagement("knowledge", "k-2", T0, likes=1, weight=1.0), 24)
    state, _rank = uows.of(TENANT).popularity[("knowledge", "k-1")]
    assert (state.likes, state.participants) == (3, 2)
    # One popularity.changed per target and batch, however many events it received.
    assert uows.types() == ["org.agora.community.popularity.changed.v1"] * 2
    ranked = await popularity.trending(uows, ADA, TargetKind.KNOWLEDGE, 5, 24)
    assert [view.popularity.target_id for view in ranked] == ["k-1", "k-2"]


async def test_evidence_counts_once_and_experts_are_proposed_by_summed_score() -> None:
    uows = FakeUnitsOfWork()
    async with uows(TENANT) as uow:
        await experts.record_evidence(
            uow, "u-linus", ["git"], "validated_contributions", "contribution:k-1"
        )
        await experts.record_evidence(
            uow, "u-linus", ["git"], "validated_contributions", "contribution:k-1"
        )
        await experts.record_evidence(uow, "u-ada", ["git", "sql"], "quiz_passes", "quiz:k-q")
        await experts.record_evidence(uow, "u-ada", ["sql"], "completions", "completion:k-2")
        await experts.record_evidence(uow, "u-bob", ["git"], "quiz_failures", "quiz-failed:a-1")
        proposed = await experts.propose_experts(uow, ["git", "sql"], exclude="u-linus", count=3)
    git = await experts.find_experts(uows, ADA, "git", 10, "")
    assert [(e.user_id, e.score) for e in git.items] == [("u-linus", 5.0), ("u-ada", 2.0)]
    assert proposed == ["u-ada"]


async def test_the_rate_limit_refuses_past_the_limit_per_person_and_reuses_one_row() -> None:
    uows = FakeUnitsOfWork()
    limits = RateLimits(3600, {POST: 2})
    for _ in range(2):
        async with uows(TENANT) as uow:
            await spend(uow, limits, POST, "u-ada")
    with pytest.raises(ResourceExhausted) as refused:
        async with uows(TENANT) as uow:
            await spend(uow, limits, POST, "u-ada")
    assert refused.value.retry_after_seconds is not None
    assert 0 <= refused.value.retry_after_seconds <= timedelta(hours=1).total_seconds()
    async with uows(TENANT) as uow:
        await spend(uow, limits, POST, "u-bob")
    assert len(uows.of(TENANT).rate_windows) == 2


async def test_the_last_owner_cannot_leave_and_invite_only_needs_an_invitation() -> None:
    uows = FakeUnitsOfWork()
    space = await spaces.create_space(
        uows, GRACE, name="Secret", description="", visibility=Visibility.INVITE_ONLY, topic=""
    )
    assert uows.types() == ["org.agora.community.member.joined.v1"]
    with pytest.raises(PermissionDenied):
        await spaces.join_space(uows, ADA, space.space_id)
    await spaces.invite(uows, GRACE, space.space_id, "u-ada")
    member = await spaces.join_space(uows, ADA, space.space_id)
    assert (member.state.value, member.invited_by) == ("active", "u-grace")
    with pytest.raises(FailedPrecondition):
        await spaces.leave_space(uows, GRACE, space.space_id)
    await spaces.leave_space(uows, ADA, space.space_id)
    assert uows.types().count("org.agora.community.member.left.v1") == 1
    assert uows.of(TENANT).spaces[space.space_id].member_count == 1
