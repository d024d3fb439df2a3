"""Webhooks: CloudEvents signed by Standard Webhooks, filters, retries, failure,
redelivery, SSRF."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import aiohttp
import grpc
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from agora.notifications.v1 import notifications_pb2 as pb
from agora_contracts.events.domains.notifications import DELIVERIES_TOPIC
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events, tapping
from agora_core.testing.grpc_assertions import assert_status, caller, rpc_error
from agora_notifications.adapters.postgres.unit_of_work import (
    PostgresDeliveryClaims,
    PostgresUnitOfWorkFactory,
)
from agora_notifications.adapters.webhooks import AddressGuard, GuardedResolver, WebhookSender
from agora_notifications.domain.webhooks import UrlRefused
from agora_notifications.service_layer.claiming_worker import ClaimingDeliveryWorker, RetryPolicy

from .support import Stack, event
from .webhook_events import COMPLETED, STARTED, completed, started

pytestmark = pytest.mark.integration

FAILED = "org.agora.notifications.notification.failed.v1"


async def subscribe(
    stack: Stack, tenant: str, path: str, types: list[str], subjects: list[str] | None = None
) -> pb.CreateWebhookSubscriptionResponse:
    return await stack.stub.CreateWebhookSubscription(
        pb.CreateWebhookSubscriptionRequest(
            url=stack.receiver.url(path), event_types=types, subjects=subjects or []
        ),
        metadata=caller(["admin"], tenant=tenant, subject="u-admin"),
    )


async def test_a_matching_event_arrives_as_a_signed_cloud_event(stack: Stack, unique: str) -> None:
    tenant = f"t-{unique}"
    path = f"ok-{unique}"
    created = await subscribe(stack, tenant, path, [COMPLETED], ["u-ada"])
    secret = created.secret
    assert secret
    matching = event(completed(stack, "u-ada", "k-1"), tenant=tenant, subject="u-ada")
    await publish_events(
        stack.kafka,
        [
            matching,
            event(completed(stack, "u-bob", "k-1"), tenant=tenant, subject="u-bob"),  # subject
            event(started(stack, "u-ada", "k-2"), tenant=tenant, subject="u-ada"),  # type
            event(completed(stack, "u-ada", "k-3"), tenant=f"o-{unique}", subject="u-ada"),
            matching,  # redelivery
        ],
    )
    follow_up = event(completed(stack, "u-ada", "k-4"), tenant=tenant, subject="u-ada")
    await publish_events(stack.kafka, [follow_up])

    async def both_arrived() -> bool:
        return len(stack.receiver.at(path)) >= 2

    await eventually(both_arrived)
    received = stack.receiver.at(path)
    # Sent in parallel: order is not guaranteed, exactly-once is.
    assert sorted(r.headers["ce-id"] for r in received) == sorted(
        [matching.event_id, follow_up.event_id]
    )
    [first] = [r for r in received if r.headers["ce-id"] == matching.event_id]
    assert first.headers["ce-type"] == COMPLETED
    assert first.headers["ce-specversion"] == "1.0"
    assert first.headers["ce-source"] == "/agora/catalog"
    assert first.headers["ce-subject"] == "u-ada"
    assert first.headers["ce-tenantid"] == tenant
    assert json.loads(first.body)["item_id"] == "k-1"
    # Standard Webhooks, verified by the specification's own library; webhook-id is the
    # CloudEvents id, so the id receivers deduplicate on is signed.
    assert secret.startswith("whsec_")
    assert first.headers["webhook-id"] == matching.event_id
    assert abs(int(first.headers["webhook-timestamp"]) - time.time()) < 60
    assert Webhook(secret).verify(first.body, first.headers) == json.loads(first.body)
    assert not any(name.lower().startswith("x-agora-") for name in first.headers)
    tampered = {
        "body": (first.body + b" ", first.headers),
        "id": (first.body, {**first.headers, "webhook-id": follow_up.event_id}),
        "timestamp": (
            first.body,
            {
                **first.headers,
                "webhook-timestamp": str(int(first.headers["webhook-timestamp"]) - 1),
            },
        ),
        "replayed (old) timestamp": (
            first.body,
            {**first.headers, "webhook-timestamp": str(int(time.time()) - 3600)},
        ),
    }
    for body, headers in tampered.values():
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(body, headers)

    admin = caller(["admin"], tenant=tenant, subject="u-admin")

    async def deliveries() -> pb.ListDeliveriesResponse:
        return await stack.stub.ListDeliveries(
            pb.ListDeliveriesRequest(subscription_id=created.subscription.subscription_id),
            metadata=admin,
        )

    async def both_recorded() -> bool:
        # The worker records an attempt after the endpoint's answer: wait for it.
        return {d.state for d in (await deliveries()).deliveries} == {pb.DELIVERY_STATE_DELIVERED}

    await eventually(both_recorded)
    log = await deliveries()
    assert len(log.deliveries) == 2
    assert {d.state for d in log.deliveries} == {pb.DELIVERY_STATE_DELIVERED}
    assert all(d.log[0].status_code == 200 for d in log.deliveries)
    listed = await stack.stub.ListWebhookSubscriptions(
        pb.ListWebhookSubscriptionsRequest(), metadata=admin
    )
    assert [s.url for s in listed.subscriptions] == [stack.receiver.url(path)]


async def test_a_failing_endpoint_is_retried_with_backoff_then_failed_then_redelivered(
    stack: Stack, unique: str
) -> None:
    tenant = f"t-{unique}"
    path = f"flaky-{unique}"
    stack.receiver.scripts[path] = [500, 503, 500]
    created = await subscribe(stack, tenant, path, [COMPLETED])
    admin = caller(["admin"], tenant=tenant, subject="u-admin")

    async def delivery() -> pb.Delivery:
        log = await stack.stub.ListDeliveries(
            pb.ListDeliveriesRequest(subscription_id=created.subscription.subscription_id),
            metadata=admin,
        )
        [only] = log.deliveries
        return only

    async with tapping(stack.kafka, [DELIVERIES_TOPIC]) as tap:
        await publish_events(
            stack.kafka, [event(completed(stack, "u-ada", "k-1"), tenant=tenant, subject="u-ada")]
        )

        async def first_attempt() -> bool:
            return len(stack.receiver.at(path)) == 1 and (await delivery()).attempts == 1

        await eventually(first_attempt)
        pending = await delivery()
        assert pending.state == pb.DELIVERY_STATE_PENDING
        assert pending.log[0].status_code == 500
        waited = pending.next_attempt_time.ToDatetime() - pending.log[0].time.ToDatetime()
        assert timedelta(seconds=30) <= waited <= timedelta(seconds=60)

        await stack.runtime.worker.run_once()  # not due yet: nothing is sent
        assert len(stack.receiver.at(path)) == 1
        for _ in range(2):
            stack.clock.advance(timedelta(minutes=3))
            await stack.runtime.worker.run_once()
        failed = await delivery()
        assert failed.state == pb.DELIVERY_STATE_FAILED
        assert [a.status_code for a in failed.log] == [500, 503, 500]
        announced = await tap.wait_for(FAILED, tenant=tenant)
        assert announced[0].data["channel"] == "webhook"
        assert announced[0].data["attempts"] == 3

    not_failed = await rpc_error(
        stack.stub.RetryDelivery(pb.RetryDeliveryRequest(delivery_id="nope"), metadata=admin)
    )
    assert_status(not_failed, grpc.StatusCode.NOT_FOUND)
    retried = await stack.stub.RetryDelivery(
        pb.RetryDeliveryRequest(delivery_id=failed.delivery_id), metadata=admin
    )
    assert retried.delivery.state == pb.DELIVERY_STATE_PENDING

    async def delivered() -> bool:
        return (await delivery()).state == pb.DELIVERY_STATE_DELIVERED

    await eventually(delivered)
    assert len(stack.receiver.at(path)) == 4
    assert len({r.headers["ce-id"] for r in stack.receiver.at(path)}) == 1
    again = await rpc_error(
        stack.stub.RetryDelivery(
            pb.RetryDeliveryRequest(delivery_id=failed.delivery_id), metadata=admin
        )
    )
    error = assert_status(again, grpc.StatusCode.FAILED_PRECONDITION)
    assert "delivered" in (error.details() or "")
    # Another tenant's admin cannot see or retry it.
    other = caller(["admin"], tenant=f"o-{unique}", subject="u-admin")
    hidden = await rpc_error(
        stack.stub.RetryDelivery(
            pb.RetryDeliveryRequest(delivery_id=failed.delivery_id), metadata=other
        )
    )
    assert_status(hidden, grpc.StatusCode.NOT_FOUND)


async def test_subscriptions_are_validated_and_for_admins_only(stack: Stack, unique: str) -> None:
    tenant = f"t-{unique}"
    admin = caller(["admin"], tenant=tenant, subject="u-admin")
    for request, field in (
        (pb.CreateWebhookSubscriptionRequest(url="ftp://example.org/hook"), "url"),
        (pb.CreateWebhookSubscriptionRequest(url="http:///nohost"), "url"),
        (pb.CreateWebhookSubscriptionRequest(url=""), "url"),
        (
            pb.CreateWebhookSubscriptionRequest(
                url=stack.receiver.url("x"), event_types=["org.agora.nope.v1"]
            ),
            "event_types.0",
        ),
    ):
        error = await rpc_error(stack.stub.CreateWebhookSubscription(request, metadata=admin))
        assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field=field)
    learner = caller(["learner", "manager"], tenant=tenant, subject="u-ada")
    denied = await rpc_error(
        stack.stub.CreateWebhookSubscription(
            pb.CreateWebhookSubscriptionRequest(url=stack.receiver.url("x")), metadata=learner
        )
    )
    assert_status(denied, grpc.StatusCode.PERMISSION_DENIED)
    created = await subscribe(stack, tenant, f"gone-{unique}", [])
    other = caller(["admin"], tenant=f"o-{unique}", subject="u-admin")
    missing = await rpc_error(
        stack.stub.DeleteWebhookSubscription(
            pb.DeleteWebhookSubscriptionRequest(
                subscription_id=created.subscription.subscription_id
            ),
            metadata=other,
        )
    )
    assert_status(missing, grpc.StatusCode.NOT_FOUND)
    await stack.stub.DeleteWebhookSubscription(
        pb.DeleteWebhookSubscriptionRequest(subscription_id=created.subscription.subscription_id),
        metadata=admin,
    )
    listed = await stack.stub.ListWebhookSubscriptions(
        pb.ListWebhookSubscriptionsRequest(), metadata=admin
    )
    assert list(listed.subscriptions) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://224.0.0.1/hook",
        "http://0.0.0.0/hook",
    ],
)
async def test_the_address_guard_refuses_internal_ranges_when_not_allowed(url: str) -> None:
    with pytest.raises(UrlRefused):
        await AddressGuard(allow_private=False).check(url)


async def test_the_address_guard_accepts_public_addresses_and_the_test_switch() -> None:
    await AddressGuard(allow_private=False).check("https://93.184.215.14/hook")
    await AddressGuard(allow_private=True).check("http://127.0.0.1:8080/hook")
    with pytest.raises(UrlRefused):
        await AddressGuard(allow_private=True).check("gopher://127.0.0.1/")


async def test_the_connection_refuses_a_host_whose_dns_answer_turns_private(
    stack: Stack, unique: str
) -> None:
    """DNS rebinding: a host checked as public when subscribed (and again before each
    send) can answer 127.0.0.1 when the client resolves it to connect. The client's own
    resolver refuses that address, so nothing reaches the internal service. `localhost`
    stands for the rebound name: a real lookup that answers loopback."""
    path = f"rebind-{unique}"
    url = stack.receiver.url(path).replace("127.0.0.1", "localhost")
    guarded = aiohttp.TCPConnector(resolver=GuardedResolver(allow_private=False))
    async with aiohttp.ClientSession(connector=guarded) as session:
        with pytest.raises(UrlRefused, match="forbidden address range"):
            await session.post(url, data=b"{}")
    assert stack.receiver.at(path) == []
    # The same resolver with private addresses allowed (tests, on-premise) connects.
    allowed = aiohttp.TCPConnector(resolver=GuardedResolver(allow_private=True))
    async with (
        aiohttp.ClientSession(connector=allowed) as session,
        session.post(url, data=b"{}") as response,
    ):
        assert response.status == 200
    assert len(stack.receiver.at(path)) == 1


async def test_two_workers_claiming_at_once_send_each_delivery_once(
    stack: Stack, unique: str
) -> None:
    tenant = f"t-{unique}"
    path = f"pair-{unique}"
    created = await subscribe(stack, tenant, path, [STARTED])
    events = [
        event(started(stack, f"u-{n}", f"k-{n}"), tenant=tenant, subject=f"u-{n}")
        for n in range(12)
    ]
    await publish_events(stack.kafka, events)

    async def all_sent() -> bool:
        return len(stack.receiver.at(path)) >= len(events)

    # A second replica's worker over the same database, racing the service's own.
    sender = WebhookSender(
        stack.runtime.units,
        AddressGuard(allow_private=True),
        timeout=5,
        pause_hold=timedelta(hours=72),
        pause_recheck=timedelta(seconds=30),
    )
    database = stack.runtime.require_postgres()
    rival = ClaimingDeliveryWorker(
        PostgresUnitOfWorkFactory(database),
        PostgresDeliveryClaims(database),
        {"webhook": sender},
        clock=stack.clock,
        policy=RetryPolicy(
            max_attempts=3,
            backoff_seconds=60,
            backoff_max_seconds=120,
            lease=timedelta(seconds=60),
        ),
        concurrency=8,
        batch_size=100,
        poll_interval=0.05,
    )
    rival.start()
    try:
        await eventually(all_sent, timeout=90)
    finally:
        await rival.stop()
        await sender.close()
    ids = [r.headers["ce-id"] for r in stack.receiver.at(path)]
    assert sorted(ids) == sorted(e.event_id for e in events), "each event exactly once"
    admin = caller(["admin"], tenant=tenant, subject="u-admin")
    log = await stack.stub.ListDeliveries(
        pb.ListDeliveriesRequest(subscription_id=created.subscription.subscription_id),
        metadata=admin,
    )
    assert [d.attempts for d in log.deliveries] == [1] * len(events)


async def test_the_delivery_log_is_for_admins(stack: Stack, unique: str) -> None:
    learner = caller(["learner", "manager", "expert"], tenant=f"t-{unique}", subject="u-ada")
    for call in (
        stack.stub.ListDeliveries(pb.ListDeliveriesRequest(), metadata=learner),
        stack.stub.RetryDelivery(pb.RetryDeliveryRequest(delivery_id="x"), metadata=learner),
        stack.stub.ListWebhookSubscriptions(pb.ListWebhookSubscriptionsRequest(), metadata=learner),
    ):
        assert_status(await rpc_error(call), grpc.StatusCode.PERMISSION_DENIED)
    admin = caller(["admin"], tenant=f"t-{unique}", subject="u-admin")
    bad = await rpc_error(
        stack.stub.ListDeliveries(
            pb.ListDeliveriesRequest(channel=pb.CHANNEL_INBOX), metadata=admin
        )
    )
    assert_status(bad, grpc.StatusCode.INVALID_ARGUMENT, field="channel")
