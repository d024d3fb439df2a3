"""Relaunch reminders, assignment alerts, managers' stalled-work digest and nudges,
driven by advancing the service's clock and running the scheduler tick."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agora.notifications.v1 import notifications_pb2 as pb
from agora_contracts.events.common import SkillLevel
from agora_contracts.events.domains import catalog, gamification, learning
from agora_core.messaging.events import OutgoingEvent
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events
from agora_core.testing.grpc_assertions import caller

from .support import Stack, event

pytestmark = pytest.mark.integration

DAY = timedelta(days=1)


async def inbox(stack: Stack, tenant: str, person: str, category: str) -> list[pb.Notification]:
    response = await stack.stub.ListInbox(
        pb.ListInboxRequest(page_size=100),
        metadata=caller(["learner"], tenant=tenant, subject=person),
    )
    return [n for n in response.notifications if n.category == category]


async def wait_for_projection(stack: Stack, tenant: str, marker: str) -> None:
    """Events are consumed asynchronously: a marker notification tells they were applied."""

    async def seen() -> bool:
        return bool(await inbox(stack, tenant, marker, "badge_awarded"))

    await eventually(seen)


def marker_event(stack: Stack, tenant: str, marker: str) -> OutgoingEvent:
    return event(
        gamification.BadgeAwardedV1(
            award_id=f"aw-{marker}",
            badge_id="b",
            badge_name="Marker",
            learner_id=marker,
            image_url="https://example.org/b.png",
            awarded_at=stack.clock.now(),
        ),
        tenant=tenant,
        subject=f"aw-{marker}",
        source="/agora/gamification",
    )


async def publish_then_wait(
    stack: Stack, tenant: str, events: list[OutgoingEvent], marker: str
) -> None:
    """Publish on one partition (one key) followed by a marker: once the marker's
    notification exists, every event before it was applied (partition order)."""
    ordered = [replace(e, key=f"order-{marker}") for e in events]
    marked = replace(marker_event(stack, tenant, marker), key=f"order-{marker}")
    await publish_events(stack.kafka, [*ordered, marked])
    await wait_for_projection(stack, tenant, marker)


async def test_reminders_escalate_stop_at_the_cap_and_stalled_work_reaches_the_manager(
    stack: Stack, unique: str
) -> None:
    tenant = f"t-{unique}"
    start = stack.clock.now()
    assigned = learning.AssignmentCreatedV1(
        assignment_id="as-1",
        learner_id="u-ada",
        assigned_by="u-boss",
        target_kind="knowledge",
        target_id="k-sec",
        target_title="Security basics",
        due_at=start + 30 * DAY,
        compliance=True,
        assigned_at=start,
    )
    begun = learning.KnowledgeStartedV1(
        learner_id="u-ada",
        item_id="k-sec",
        item_type="video",
        item_title="Security basics",
        started_at=start,
    )
    await publish_events(stack.kafka, [event(assigned, tenant=tenant, subject="as-1")])

    async def assigned_seen() -> bool:
        return bool(await inbox(stack, tenant, "u-ada", "assignment_created"))

    await eventually(assigned_seen)
    await publish_then_wait(stack, tenant, [event(begun, tenant=tenant, subject="u-ada")], "m1")

    async def tick(at: datetime) -> None:
        stack.clock.advance_to(at)
        await stack.runtime.scheduler.run_due(stack.clock.now())

    await tick(start + 2 * DAY)
    assert await inbox(stack, tenant, "u-ada", "relaunch_reminder") == []
    await tick(start + 3 * DAY)  # 72 h of inactivity
    assert len(await inbox(stack, tenant, "u-ada", "relaunch_reminder")) == 1
    await tick(start + 3 * DAY)  # the same tick again sends nothing more
    await tick(start + 8 * DAY)  # next spacing is 2 x 72 h = 6 days later: not yet
    assert len(await inbox(stack, tenant, "u-ada", "relaunch_reminder")) == 1
    await tick(start + 9 * DAY)
    assert len(await inbox(stack, tenant, "u-ada", "relaunch_reminder")) == 2
    await tick(start + 21 * DAY)  # then 4 x 72 h = 12 days
    reminders = await inbox(stack, tenant, "u-ada", "relaunch_reminder")
    assert len(reminders) == 3
    assert reminders[0].title == "Pick up “Security basics” where you left off"
    await tick(start + 29 * DAY)  # the cap (3) is reached: no more reminders
    assert len(await inbox(stack, tenant, "u-ada", "relaunch_reminder")) == 3
    [stalled] = await inbox(stack, tenant, "u-boss", "stalled_work")
    assert stalled.title == "1 assignment of your team is stalled"
    assert "u-ada: Security basics" in stalled.body
    # Due soon (48 h before) and overdue alerts, once each.
    due_soon = await inbox(stack, tenant, "u-ada", "assignment_due_soon")
    assert len(due_soon) == 1
    due = (start + 30 * DAY).astimezone(ZoneInfo("UTC"))  # u-ada: no profile, so UTC, English
    assert f"is due on {due:%A}, {due:%B} {due.day}, {due.year} at " in due_soon[0].body
    await tick(start + 30 * DAY + timedelta(hours=1))
    await tick(start + 31 * DAY)
    assert len(await inbox(stack, tenant, "u-ada", "assignment_overdue")) == 1
    assert len(await inbox(stack, tenant, "u-ada", "assignment_due_soon")) == 1
    assert len(await inbox(stack, tenant, "u-boss", "stalled_work")) == 1


async def test_completing_the_item_stops_the_reminders(stack: Stack, unique: str) -> None:
    tenant = f"t-{unique}"
    start = stack.clock.now()
    begun = learning.KnowledgeStartedV1(
        learner_id="u-bob",
        item_id="k-1",
        item_type="video",
        item_title="Intro",
        started_at=start,
    )
    await publish_then_wait(stack, tenant, [event(begun, tenant=tenant, subject="u-bob")], "m1")
    stack.clock.advance_to(start + 3 * DAY)
    await stack.runtime.scheduler.run_due(stack.clock.now())
    assert len(await inbox(stack, tenant, "u-bob", "relaunch_reminder")) == 1
    done = learning.KnowledgeCompletedV1(
        learner_id="u-bob",
        item_id="k-1",
        item_type="video",
        item_title="Intro",
        completed_at=start + 4 * DAY,
    )
    await publish_then_wait(stack, tenant, [event(done, tenant=tenant, subject="u-bob")], "m2")
    stack.clock.advance_to(start + 30 * DAY)
    await stack.runtime.scheduler.run_due(stack.clock.now())
    assert len(await inbox(stack, tenant, "u-bob", "relaunch_reminder")) == 1


async def test_a_daily_nudge_suggests_a_short_item_from_my_path_at_my_local_hour(
    stack: Stack, unique: str
) -> None:
    tenant = f"t-{unique}"
    paris = ZoneInfo("Europe/Paris")
    me = caller(["learner"], tenant=tenant, subject="u-ada")
    await stack.stub.UpdateMyProfile(
        pb.UpdateMyProfileRequest(
            profile=pb.Profile(
                time_zone="Europe/Paris", nudge_cadence=pb.NUDGE_CADENCE_DAILY, nudge_hour=9
            )
        ),
        metadata=me,
    )
    now = stack.clock.now()

    def published(item: str, minutes: int) -> OutgoingEvent:
        return event(
            catalog.KnowledgePublishedV1(
                item_id=item,
                item_type="video",
                title=f"Item {item}",
                author_id="u-grace",
                version=1,
                validated=True,
                language="en",
                estimated_minutes=minutes,
                skills=(SkillLevel(skill_id="sql", level=1),),
                published_at=now,
            ),
            tenant=tenant,
            subject=item,
        )

    path = catalog.PathPublishedV1(
        path_id="p-1",
        title="SQL path",
        author_id="u-grace",
        steps=(
            catalog.PathStepV1(item_id="k-long", mandatory=True, estimated_minutes=60),
            catalog.PathStepV1(item_id="k-done", mandatory=True, estimated_minutes=3),
            catalog.PathStepV1(item_id="k-short", mandatory=True, estimated_minutes=5),
        ),
        published_at=now,
    )
    enrolled = learning.PathEnrolledV1(
        learner_id="u-ada",
        path_id="p-1",
        path_title="SQL path",
        self_enrolled=True,
        enrolled_at=now,
    )
    finished = learning.KnowledgeCompletedV1(
        learner_id="u-ada",
        item_id="k-done",
        item_type="video",
        item_title="Done",
        completed_at=now,
    )
    await publish_then_wait(
        stack,
        tenant,
        [
            published("k-long", 60),
            published("k-done", 3),
            published("k-short", 5),
            event(path, tenant=tenant, subject="p-1"),
            event(enrolled, tenant=tenant, subject="u-ada"),
            event(finished, tenant=tenant, subject="u-ada"),
        ],
        "m1",
    )
    local = stack.clock.now().astimezone(paris)
    nine = local.replace(hour=9, minute=0, second=0, microsecond=0)
    if nine <= local:
        nine += DAY
    stack.clock.advance_to(nine - timedelta(minutes=1))
    await stack.runtime.scheduler.run_due(stack.clock.now())
    assert await inbox(stack, tenant, "u-ada", "nudge") == []
    stack.clock.advance_to(nine)
    await stack.runtime.scheduler.run_due(stack.clock.now())
    await stack.runtime.scheduler.run_due(stack.clock.now())
    [nudge] = await inbox(stack, tenant, "u-ada", "nudge")
    assert nudge.subject_id == "k-short"
    assert nudge.title == "A short one for today: “Item k-short”"
    stack.clock.advance_to(nine + DAY)
    await stack.runtime.scheduler.run_due(stack.clock.now())
    assert len(await inbox(stack, tenant, "u-ada", "nudge")) == 2
