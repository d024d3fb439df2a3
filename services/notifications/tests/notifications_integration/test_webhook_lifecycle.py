"""Webhook subscriptions over their life: secret rotation with an overlap (verified with
the standardwebhooks library, old and new secret), pause holding deliveries until
resume, update re-routing, ping, tenant isolation and roles — through the real gRPC
server, PostgreSQL, Kafka and an HTTP receiver."""

from __future__ import annotations

import json
from datetime import timedelta

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from google.protobuf.field_mask_pb2 import FieldMask
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from agora.notifications.v1 import notifications_pb2 as pb
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events
from agora_core.testing.grpc_assertions import assert_status, caller, rpc_error

from .support import Stack, event, free_port
from .webhook_events import COMPLETED, STARTED, completed, started

pytestmark = pytest.mark.integration


def admin_of(tenant: str) -> tuple[tuple[str, str], ...]:
    return caller(["admin"], tenant=tenant, subject="u-admin")


async def subscribe(
    stack: Stack, tenant: str, path: str, types: list[str]
) -> pb.CreateWebhookSubscriptionResponse:
    return await stack.stub.CreateWebhookSubscription(
        pb.CreateWebhookSubscriptionRequest(url=stack.receiver.url(path), event_types=types),
        metadata=admin_of(tenant),
    )


async def arrivals(stack: Stack, path: str, count: int) -> None:
    async def arrived() -> bool:
        return len(stack.receiver.at(path)) >= count

    await eventually(arrived)


async def test_during_a_rotation_old_and_new_secrets_verify_and_after_it_only_the_new(
    stack: Stack, unique: str
) -> None:
    tenant, path = f"t-{unique}", f"rot-{unique}"
    created = await subscribe(stack, tenant, path, [COMPLETED])
    sid = created.subscription.subscription_id
    rotated = await stack.stub.RotateWebhookSecret(
        pb.RotateWebhookSecretRequest(subscription_id=sid, overlap=Duration(seconds=3600)),
        metadata=admin_of(tenant),
    )
    assert rotated.secret.startswith("whsec_")
    assert rotated.secret != created.secret
    ending = [s for s in rotated.subscription.secrets if s.HasField("expire_time")]
    assert len(rotated.subscription.secrets) == 2
    assert len(ending) == 1
    await publish_events(
        stack.kafka, [event(completed(stack, "u-ada", "k-1"), tenant=tenant, subject="u-ada")]
    )
    await arrivals(stack, path, 1)
    [during] = stack.receiver.at(path)
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    for secret in (created.secret, rotated.secret):
        Webhook(secret).verify(during.body, during.headers)

    # A rotation with no overlap: the earlier secrets stop signing at once.
    final = await stack.stub.RotateWebhookSecret(
        pb.RotateWebhookSecretRequest(subscription_id=sid, overlap=Duration(seconds=0)),
        metadata=admin_of(tenant),
    )
    await publish_events(
        stack.kafka, [event(completed(stack, "u-ada", "k-2"), tenant=tenant, subject="u-ada")]
    )
    await arrivals(stack, path, 2)
    after = stack.receiver.at(path)[1]
    Webhook(final.secret).verify(after.body, after.headers)
    for retired in (created.secret, rotated.secret):
        with pytest.raises(WebhookVerificationError):
            Webhook(retired).verify(after.body, after.headers)

    listed = await stack.stub.ListWebhookSubscriptions(
        pb.ListWebhookSubscriptionsRequest(), metadata=admin_of(tenant)
    )
    [shown] = listed.subscriptions
    assert [s.secret_id for s in shown.secrets] == [final.subscription.secrets[-1].secret_id]
    assert b"whsec_" not in listed.SerializeToString(), "secret values are never listed"
    too_long = await rpc_error(
        stack.stub.RotateWebhookSecret(
            pb.RotateWebhookSecretRequest(subscription_id=sid, overlap=Duration(seconds=8 * 86400)),
            metadata=admin_of(tenant),
        )
    )
    assert_status(too_long, grpc.StatusCode.INVALID_ARGUMENT, field="overlap")


async def test_a_paused_subscription_holds_its_deliveries_and_sends_them_on_resume(
    stack: Stack, unique: str
) -> None:
    tenant, path = f"t-{unique}", f"pause-{unique}"
    created = await subscribe(stack, tenant, path, [COMPLETED])
    sid = created.subscription.subscription_id
    paused = await stack.stub.PauseWebhookSubscription(
        pb.PauseWebhookSubscriptionRequest(subscription_id=sid), metadata=admin_of(tenant)
    )
    assert paused.subscription.paused
    held = event(completed(stack, "u-ada", "k-1"), tenant=tenant, subject="u-ada")
    await publish_events(stack.kafka, [held])

    async def the_delivery() -> pb.Delivery | None:
        log = await stack.stub.ListDeliveries(
            pb.ListDeliveriesRequest(subscription_id=sid), metadata=admin_of(tenant)
        )
        return log.deliveries[0] if log.deliveries else None

    async def held_back() -> bool:
        found = await the_delivery()
        return (
            found is not None
            and found.next_attempt_time.ToDatetime() > stack.clock.now().replace(tzinfo=None)
        )

    await eventually(held_back)
    stack.clock.advance(timedelta(seconds=stack.settings.webhook_pause_recheck_seconds + 1))
    await stack.runtime.worker.run_once()
    assert stack.receiver.at(path) == [], "nothing is sent while paused"
    waiting = await the_delivery()
    assert waiting is not None
    assert waiting.state == pb.DELIVERY_STATE_PENDING
    assert waiting.attempts == 0, "a held delivery spends no attempt"

    resumed = await stack.stub.ResumeWebhookSubscription(
        pb.ResumeWebhookSubscriptionRequest(subscription_id=sid), metadata=admin_of(tenant)
    )
    assert not resumed.subscription.paused
    stack.clock.advance(timedelta(seconds=stack.settings.webhook_pause_recheck_seconds + 1))
    await arrivals(stack, path, 1)
    [sent] = stack.receiver.at(path)
    assert sent.headers["webhook-id"] == held.event_id
    Webhook(created.secret).verify(sent.body, sent.headers)


async def test_an_update_changes_where_and_what_is_delivered(stack: Stack, unique: str) -> None:
    tenant, before, after = f"t-{unique}", f"before-{unique}", f"after-{unique}"
    created = await subscribe(stack, tenant, before, [COMPLETED])
    sid = created.subscription.subscription_id
    updated = await stack.stub.UpdateWebhookSubscription(
        pb.UpdateWebhookSubscriptionRequest(
            subscription_id=sid,
            update_mask=FieldMask(paths=["url", "event_types"]),
            url=stack.receiver.url(after),
            event_types=[STARTED],
            description="ignored: not in the mask",
        ),
        metadata=admin_of(tenant),
    )
    assert updated.subscription.url == stack.receiver.url(after)
    assert list(updated.subscription.event_types) == [STARTED]
    assert updated.subscription.description == ""
    # Same learner, same partition: the completion is handled before the start.
    await publish_events(
        stack.kafka,
        [
            event(completed(stack, "u-ada", "k-1"), tenant=tenant, subject="u-ada"),
            event(started(stack, "u-ada", "k-2"), tenant=tenant, subject="u-ada"),
        ],
    )
    await arrivals(stack, after, 1)
    assert [r.headers["ce-type"] for r in stack.receiver.at(after)] == [STARTED]
    assert stack.receiver.at(before) == []
    for mask, field in ((["secret"], "update_mask"), ([], "update_mask"), (["url"], "url")):
        bad = await rpc_error(
            stack.stub.UpdateWebhookSubscription(
                pb.UpdateWebhookSubscriptionRequest(
                    subscription_id=sid, update_mask=FieldMask(paths=mask), url="ftp://x.example"
                ),
                metadata=admin_of(tenant),
            )
        )
        assert_status(bad, grpc.StatusCode.INVALID_ARGUMENT, field=field)


async def test_a_ping_reports_the_endpoints_answer(stack: Stack, unique: str) -> None:
    tenant, path = f"t-{unique}", f"ping-{unique}"
    created = await subscribe(stack, tenant, path, [COMPLETED])
    sid = created.subscription.subscription_id
    ok = await stack.stub.PingWebhookSubscription(
        pb.PingWebhookSubscriptionRequest(subscription_id=sid), metadata=admin_of(tenant)
    )
    assert ok.ok
    assert ok.status_code == 200
    assert ok.error == ""
    [ping] = stack.receiver.at(path)
    assert ping.headers["webhook-id"] == ok.webhook_id == ping.headers["ce-id"]
    assert ping.headers["ce-type"] == "org.agora.webhook.ping.v1"
    assert Webhook(created.secret).verify(ping.body, ping.headers) == json.loads(ping.body)

    stack.receiver.scripts[path] = [503]
    failing = await stack.stub.PingWebhookSubscription(
        pb.PingWebhookSubscriptionRequest(subscription_id=sid), metadata=admin_of(tenant)
    )
    assert (failing.ok, failing.status_code, failing.error) == (False, 503, "HTTP 503")

    await stack.stub.UpdateWebhookSubscription(
        pb.UpdateWebhookSubscriptionRequest(
            subscription_id=sid,
            update_mask=FieldMask(paths=["url"]),
            url=f"http://127.0.0.1:{free_port()}/closed",
        ),
        metadata=admin_of(tenant),
    )
    unreachable = await stack.stub.PingWebhookSubscription(
        pb.PingWebhookSubscriptionRequest(subscription_id=sid), metadata=admin_of(tenant)
    )
    assert not unreachable.ok
    assert unreachable.status_code == 0
    assert unreachable.error


async def test_another_tenant_cannot_see_rotate_pause_or_ping_and_learners_are_refused(
    stack: Stack, unique: str
) -> None:
    tenant = f"t-{unique}"
    created = await subscribe(stack, tenant, f"own-{unique}", [])
    sid = created.subscription.subscription_id
    other = admin_of(f"o-{unique}")
    learner = caller(["learner", "manager", "expert"], tenant=tenant, subject="u-ada")
    for metadata, code in (
        (other, grpc.StatusCode.NOT_FOUND),
        (learner, grpc.StatusCode.PERMISSION_DENIED),
    ):
        for call in (
            stack.stub.RotateWebhookSecret(
                pb.RotateWebhookSecretRequest(subscription_id=sid), metadata=metadata
            ),
            stack.stub.PauseWebhookSubscription(
                pb.PauseWebhookSubscriptionRequest(subscription_id=sid), metadata=metadata
            ),
            stack.stub.ResumeWebhookSubscription(
                pb.ResumeWebhookSubscriptionRequest(subscription_id=sid), metadata=metadata
            ),
            stack.stub.PingWebhookSubscription(
                pb.PingWebhookSubscriptionRequest(subscription_id=sid), metadata=metadata
            ),
            stack.stub.UpdateWebhookSubscription(
                pb.UpdateWebhookSubscriptionRequest(
                    subscription_id=sid,
                    update_mask=FieldMask(paths=["description"]),
                    description="x",
                ),
                metadata=metadata,
            ),
        ):
            assert_status(await rpc_error(call), code)
    listed = await stack.stub.ListWebhookSubscriptions(
        pb.ListWebhookSubscriptionsRequest(), metadata=other
    )
    assert list(listed.subscriptions) == []
    mine = await stack.stub.ListWebhookSubscriptions(
        pb.ListWebhookSubscriptionsRequest(), metadata=admin_of(tenant)
    )
    assert [s.subscription_id for s in mine.subscriptions] == [sid]
    assert not mine.subscriptions[0].paused
