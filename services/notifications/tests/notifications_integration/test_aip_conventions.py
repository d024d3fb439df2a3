"""The AIP conventions of notifications' writes, through the real gRPC server and
PostgreSQL: CreateWebhookSubscription with a request_id (AIP-155, and what a retry
shows of the secret), UpdateMyProfile with an update_mask (AIP-134)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from google.protobuf.field_mask_pb2 import FieldMask

from agora.notifications.v1 import notifications_pb2 as pb
from agora_core.testing.grpc_assertions import Metadata, assert_status, caller, rpc_error
from agora_notifications.domain.webhook_replay import SECRET_REPLAY_WINDOW

from .support import Stack

pytestmark = pytest.mark.integration


def admin_of(tenant: str, subject: str = "u-admin") -> Metadata:
    return caller(["admin"], tenant=tenant, subject=subject)


async def _count(stack: Stack, tenant: str, query: str, *params: str) -> int:
    """A count over the tenant's rows, read straight from the service's database."""
    async with stack.runtime.require_postgres().unit_of_work(tenant) as uow:
        cursor = await uow.connection.execute(query, params)
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


def _subscribe(stack: Stack, path: str, request_id: str) -> pb.CreateWebhookSubscriptionRequest:
    return pb.CreateWebhookSubscriptionRequest(
        url=stack.receiver.url(path), description="CRM sync", request_id=request_id
    )


async def test_a_retried_create_makes_one_subscription_and_shows_its_secret_again(
    stack: Stack, unique: str
) -> None:
    tenant, s = f"t-{unique}", stack.stub
    request = _subscribe(stack, f"idem-{unique}", str(uuid.uuid4()))
    answers = await asyncio.gather(
        *(s.CreateWebhookSubscription(request, metadata=admin_of(tenant)) for _ in range(3))
    )
    assert len({a.subscription.subscription_id for a in answers}) == 1
    assert len({a.secret for a in answers}) == 1
    assert answers[0].secret.startswith("whsec_")
    sid = answers[0].subscription.subscription_id
    assert await _count(stack, tenant, "SELECT count(*) FROM webhook_subscriptions") == 1
    assert (
        await _count(
            stack,
            tenant,
            "SELECT count(*) FROM request_ids WHERE request_id = %s",
            request.request_id,
        )
        == 1
    )

    # Another request, or the same one from another caller, under the same id.
    other = _subscribe(stack, f"other-{unique}", request.request_id)
    error = await rpc_error(s.CreateWebhookSubscription(other, metadata=admin_of(tenant)))
    assert_status(
        error, grpc.StatusCode.INVALID_ARGUMENT, field="request_id", reason="REQUEST_ID_REUSED"
    )
    stranger = admin_of(tenant, subject="u-other-admin")
    error = await rpc_error(s.CreateWebhookSubscription(request, metadata=stranger))
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, reason="REQUEST_ID_REUSED")

    # Past the window the retry still finds the subscription, without its secret.
    stack.clock.advance(SECRET_REPLAY_WINDOW + timedelta(seconds=1))
    late = await s.CreateWebhookSubscription(request, metadata=admin_of(tenant))
    assert late.subscription.subscription_id == sid
    assert late.secret == ""
    assert await _count(stack, tenant, "SELECT count(*) FROM webhook_subscriptions") == 1

    # The same id in another tenant is that tenant's own create.
    elsewhere = await s.CreateWebhookSubscription(request, metadata=admin_of(f"{tenant}-b"))
    assert elsewhere.subscription.subscription_id != sid
    assert elsewhere.secret.startswith("whsec_")
    assert elsewhere.secret != answers[0].secret


async def test_a_retry_after_a_rotation_does_not_show_the_new_secret(
    stack: Stack, unique: str
) -> None:
    tenant, s = f"t-{unique}", stack.stub
    request = _subscribe(stack, f"rot-{unique}", str(uuid.uuid4()))
    created = await s.CreateWebhookSubscription(request, metadata=admin_of(tenant))
    rotated = await s.RotateWebhookSecret(
        pb.RotateWebhookSecretRequest(
            subscription_id=created.subscription.subscription_id, overlap=Duration(seconds=60)
        ),
        metadata=admin_of(tenant),
    )
    retried = await s.CreateWebhookSubscription(request, metadata=admin_of(tenant))
    assert retried.subscription.subscription_id == created.subscription.subscription_id
    assert retried.secret == ""
    assert rotated.secret not in {retried.secret, created.secret}


async def test_update_my_profile_with_a_mask_changes_and_clears_only_the_named_fields(
    stack: Stack, unique: str
) -> None:
    me = caller(["learner"], tenant=f"t-{unique}", subject="u-ada")
    full = pb.Profile(
        email="ada@example.org",
        locale="fr",
        time_zone="Europe/Paris",
        nudge_cadence=pb.NUDGE_CADENCE_WEEKLY,
        nudge_hour=7,
        nudge_weekday=3,
    )
    await stack.stub.UpdateMyProfile(pb.UpdateMyProfileRequest(profile=full), metadata=me)
    cleared = await stack.stub.UpdateMyProfile(
        pb.UpdateMyProfileRequest(
            profile=pb.Profile(locale="en"), update_mask=FieldMask(paths=["email", "nudge_hour"])
        ),
        metadata=me,
    )
    expected = pb.Profile()
    expected.CopyFrom(full)
    expected.person_id, expected.email, expected.nudge_hour = "u-ada", "", 0
    assert cleared.profile == expected
    read = await stack.stub.GetMyProfile(pb.GetMyProfileRequest(), metadata=me)
    assert read.profile == expected

    # Without a mask the whole profile is replaced, as before.
    replaced = await stack.stub.UpdateMyProfile(
        pb.UpdateMyProfileRequest(profile=pb.Profile(email="ada@example.org")), metadata=me
    )
    assert (replaced.profile.locale, replaced.profile.time_zone) == ("en", "UTC")


@pytest.mark.parametrize(
    ("paths", "profile", "field", "reason"),
    [
        (["person_id"], pb.Profile(), "update_mask", "UNKNOWN_MASK_PATH"),
        (["email", "nickname"], pb.Profile(), "update_mask", "UNKNOWN_MASK_PATH"),
        (["time_zone"], pb.Profile(time_zone="Mars/Olympus"), "profile.time_zone", None),
    ],
)
async def test_update_my_profile_refuses_bad_masks(
    stack: Stack,
    unique: str,
    paths: list[str],
    profile: pb.Profile,
    field: str,
    reason: str | None,
) -> None:
    me = caller(["learner"], tenant=f"t-{unique}", subject="u-ada")
    request = pb.UpdateMyProfileRequest(profile=profile, update_mask=FieldMask(paths=paths))
    error = await rpc_error(stack.stub.UpdateMyProfile(request, metadata=me))
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field=field, reason=reason)
