"""Preference layers over gRPC, quiet hours and email digests (driven by the clock)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest

from agora.notifications.v1 import notifications_pb2 as pb
from agora_contracts.events.domains import gamification
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events
from agora_core.testing.grpc_assertions import assert_status, caller, rpc_error

from .support import Stack, event, parts

pytestmark = pytest.mark.integration

PARIS = ZoneInfo("Europe/Paris")


def category(name: str, *settings: pb.ChannelSetting) -> pb.CategoryPreference:
    return pb.CategoryPreference(category=name, channels=list(settings))


def email(enabled: int = pb.TOGGLE_UNSPECIFIED, digest: int = 0) -> pb.ChannelSetting:
    return pb.ChannelSetting(channel=pb.CHANNEL_EMAIL, enabled=enabled, digest=digest)  # type: ignore[arg-type]


def effective(
    response: pb.GetEffectivePreferencesResponse, name: str, channel: int
) -> pb.EffectivePreference:
    [found] = [p for p in response.preferences if p.category == name and p.channel == channel]
    return found


async def test_layers_resolve_tenant_then_space_then_person(stack: Stack, unique: str) -> None:
    tenant = f"t-{unique}"
    admin = caller(["admin"], tenant=tenant, subject="u-admin")
    me = caller(["learner"], tenant=tenant, subject="u-ada")
    await stack.stub.SetPreferences(
        pb.SetPreferencesRequest(
            layer=pb.PreferenceLayer(
                scope=pb.SCOPE_TENANT,
                categories=[category("*", email(pb.TOGGLE_OFF))],
                forced_categories=["assignment_created"],
                quiet_hours=pb.QuietHours(start="22:00", end="07:00"),
            )
        ),
        metadata=admin,
    )
    await stack.stub.SetPreferences(
        pb.SetPreferencesRequest(
            layer=pb.PreferenceLayer(
                scope=pb.SCOPE_SPACE,
                scope_id="s-data",
                categories=[category("comment_posted", email(pb.TOGGLE_ON, pb.DIGEST_MODE_DAILY))],
            )
        ),
        metadata=admin,
    )
    await stack.stub.SetPreferences(
        pb.SetPreferencesRequest(
            layer=pb.PreferenceLayer(
                scope=pb.SCOPE_PERSON,
                categories=[category("comment_posted", email(digest=pb.DIGEST_MODE_WEEKLY))],
            )
        ),
        metadata=me,
    )
    outside = await stack.stub.GetEffectivePreferences(
        pb.GetEffectivePreferencesRequest(), metadata=me
    )
    in_space = await stack.stub.GetEffectivePreferences(
        pb.GetEffectivePreferencesRequest(space_id="s-data"), metadata=me
    )
    assert effective(outside, "comment_posted", pb.CHANNEL_EMAIL).enabled is False
    in_space_comment = effective(in_space, "comment_posted", pb.CHANNEL_EMAIL)
    assert (in_space_comment.enabled, in_space_comment.digest) == (True, pb.DIGEST_MODE_WEEKLY)
    forced = effective(outside, "assignment_created", pb.CHANNEL_EMAIL)
    assert (forced.enabled, forced.forced) == (True, True)
    assert effective(outside, "mention", pb.CHANNEL_INBOX).enabled is True
    assert outside.quiet_hours.start == "22:00"

    # A person cannot switch a forced category off.
    refused = await rpc_error(
        stack.stub.SetPreferences(
            pb.SetPreferencesRequest(
                layer=pb.PreferenceLayer(
                    scope=pb.SCOPE_PERSON,
                    categories=[category("assignment_created", email(pb.TOGGLE_OFF))],
                )
            ),
            metadata=me,
        )
    )
    assert_status(refused, grpc.StatusCode.FAILED_PRECONDITION)
    assert "assignment_created" in (refused.details() or "")

    # Only admins manage the tenant and space layers, or another person's layer.
    for layer in (
        pb.PreferenceLayer(scope=pb.SCOPE_TENANT),
        pb.PreferenceLayer(scope=pb.SCOPE_SPACE, scope_id="s-data"),
        pb.PreferenceLayer(scope=pb.SCOPE_PERSON, scope_id="u-grace"),
    ):
        denied = await rpc_error(
            stack.stub.SetPreferences(pb.SetPreferencesRequest(layer=layer), metadata=me)
        )
        assert_status(denied, grpc.StatusCode.PERMISSION_DENIED)

    stored = await stack.stub.GetPreferences(
        pb.GetPreferencesRequest(scope=pb.SCOPE_PERSON), metadata=me
    )
    assert stored.layer.categories[0].channels[0].digest == pb.DIGEST_MODE_WEEKLY
    # Another tenant's admin sees an empty tenant layer, not this one.
    elsewhere = await stack.stub.GetPreferences(
        pb.GetPreferencesRequest(scope=pb.SCOPE_TENANT),
        metadata=caller(["admin"], tenant=f"other-{unique}", subject="u-admin"),
    )
    assert list(elsewhere.layer.forced_categories) == []


@pytest.mark.parametrize(
    ("layer", "field"),
    [
        (pb.PreferenceLayer(), "layer.scope"),
        (
            pb.PreferenceLayer(scope=pb.SCOPE_PERSON, categories=[category("nope")]),
            "layer.categories.0.category",
        ),
        (
            pb.PreferenceLayer(
                scope=pb.SCOPE_PERSON,
                categories=[category("mention", pb.ChannelSetting(channel=pb.CHANNEL_WEBHOOK))],
            ),
            "layer.categories.0.channels.0.channel",
        ),
        (
            pb.PreferenceLayer(
                scope=pb.SCOPE_PERSON,
                categories=[
                    category(
                        "mention",
                        pb.ChannelSetting(channel=pb.CHANNEL_INBOX, digest=pb.DIGEST_MODE_DAILY),
                    )
                ],
            ),
            "layer.categories.0.channels.0.digest",
        ),
        (
            pb.PreferenceLayer(
                scope=pb.SCOPE_PERSON, quiet_hours=pb.QuietHours(start="25:00", end="07:00")
            ),
            "layer.quiet_hours.start",
        ),
        (
            pb.PreferenceLayer(scope=pb.SCOPE_PERSON, forced_categories=["mention"]),
            "layer.forced_categories",
        ),
        (pb.PreferenceLayer(scope=pb.SCOPE_SPACE), "layer.scope_id"),
    ],
)
async def test_malformed_preferences_name_the_field(
    stack: Stack, unique: str, layer: pb.PreferenceLayer, field: str
) -> None:
    me = caller(["admin"], tenant=f"t-{unique}", subject="u-ada")
    error = await rpc_error(
        stack.stub.SetPreferences(pb.SetPreferencesRequest(layer=layer), metadata=me)
    )
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field=field)


def badge(stack: Stack, learner: str, award: str) -> gamification.BadgeAwardedV1:
    return gamification.BadgeAwardedV1(
        award_id=award,
        badge_id=f"b-{award}",
        badge_name=f"Badge {award}",
        learner_id=learner,
        image_url="https://example.org/b.png",
        awarded_at=stack.clock.now(),
    )


async def deliveries(stack: Stack, tenant: str, person: str) -> list[pb.Delivery]:
    admin = caller(["admin"], tenant=tenant, subject="u-admin")
    response = await stack.stub.ListDeliveries(
        pb.ListDeliveriesRequest(recipient_id=person, channel=pb.CHANNEL_EMAIL), metadata=admin
    )
    return list(response.deliveries)


def next_local(now: datetime, hour: int, minute: int = 0) -> datetime:
    """The next instant at hour:minute Paris time after ``now``."""
    local = now.astimezone(PARIS)
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate


async def test_quiet_hours_defer_email_to_the_end_of_the_window(stack: Stack, unique: str) -> None:
    tenant = f"t-{unique}"
    address = f"ada-{unique}@example.org"
    me = caller(["learner"], tenant=tenant, subject="u-ada")
    await stack.stub.UpdateMyProfile(
        pb.UpdateMyProfileRequest(profile=pb.Profile(email=address, time_zone="Europe/Paris")),
        metadata=me,
    )
    await stack.stub.SetPreferences(
        pb.SetPreferencesRequest(
            layer=pb.PreferenceLayer(
                scope=pb.SCOPE_PERSON, quiet_hours=pb.QuietHours(start="22:00", end="07:00")
            )
        ),
        metadata=me,
    )
    stack.clock.advance_to(next_local(stack.clock.now(), 23))
    await publish_events(
        stack.kafka,
        [
            event(
                badge(stack, "u-ada", "q1"),
                tenant=tenant,
                subject="aw-q1",
                source="/agora/gamification",
            )
        ],
    )

    async def held() -> bool:
        return len(await deliveries(stack, tenant, "u-ada")) == 1

    await eventually(held)
    [waiting] = await deliveries(stack, tenant, "u-ada")
    assert waiting.state == pb.DELIVERY_STATE_PENDING
    wake = waiting.next_attempt_time.ToDatetime().replace(tzinfo=ZoneInfo("UTC"))
    assert wake.astimezone(PARIS).hour == 7
    assert wake.astimezone(PARIS).minute == 0
    await stack.runtime.worker.run_once()
    assert stack.smtp.to(address) == []

    stack.clock.advance_to(wake)
    await stack.runtime.worker.run_once()

    async def arrived() -> bool:
        # The loopback SMTP server records a message on its own thread.
        return len(stack.smtp.to(address)) == 1

    await eventually(arrived, timeout=10)
    [message] = stack.smtp.to(address)
    assert "Badge q1" in message["Subject"]


async def test_daily_digest_groups_everything_since_the_last_one(stack: Stack, unique: str) -> None:
    tenant = f"t-{unique}"
    address = f"grace-{unique}@example.org"
    me = caller(["learner"], tenant=tenant, subject="u-grace")
    await stack.stub.UpdateMyProfile(
        pb.UpdateMyProfileRequest(
            profile=pb.Profile(email=address, time_zone="Europe/Paris", locale="en")
        ),
        metadata=me,
    )
    await stack.stub.SetPreferences(
        pb.SetPreferencesRequest(
            layer=pb.PreferenceLayer(
                scope=pb.SCOPE_PERSON,
                categories=[category("badge_awarded", email(digest=pb.DIGEST_MODE_DAILY))],
            )
        ),
        metadata=me,
    )
    events = [
        event(
            badge(stack, "u-grace", f"d{n}"),
            tenant=tenant,
            subject=f"aw-d{n}",
            source="/agora/gamification",
        )
        for n in range(3)
    ]
    await publish_events(stack.kafka, events)

    async def all_held() -> bool:
        found = await deliveries(stack, tenant, "u-grace")
        return len(found) == 3 and all(d.state == pb.DELIVERY_STATE_HELD for d in found)

    await eventually(all_held)
    await publish_events(stack.kafka, events[:1])  # a redelivery holds nothing more
    await stack.runtime.scheduler.run_due(stack.clock.now())
    assert stack.smtp.to(address) == []

    stack.clock.advance_to(next_local(stack.clock.now(), 8, 1))
    await stack.runtime.scheduler.run_due(stack.clock.now())
    await stack.runtime.scheduler.run_due(stack.clock.now())  # a second tick adds nothing

    async def digest_sent() -> bool:
        return len(stack.smtp.to(address)) == 1

    await eventually(digest_sent)
    [message] = stack.smtp.to(address)
    assert message["Subject"] == "Your Agora digest: 3 notifications"
    text = parts(message)["text/plain"]
    sent = stack.clock.now().astimezone(PARIS)  # the heading names the reader's day
    assert text.startswith(f"Your daily Agora digest of {sent:%A}, {sent:%B} {sent.day}, ")
    for n in range(3):
        assert f"Badge d{n}" in text
    states = {
        d.state
        for d in await deliveries(stack, tenant, "u-grace")
        if d.delivery_id.endswith(":email")
    }
    assert states == {pb.DELIVERY_STATE_DIGESTED}
