"""A process stopped mid-delivery: the next one retries after the lease, nothing lost.
And the SSRF guard as deployed (private addresses not allowed)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import grpc
import pytest

from agora.notifications.v1 import notifications_pb2 as pb
from agora.notifications.v1.notifications_pb2_grpc import NotificationsServiceStub
from agora_contracts.events.domains import learning
from agora_contracts.events.schemas import load_platform_events
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events, start_group_at_end
from agora_core.testing.grpc_assertions import (
    assert_status,
    caller,
    field_violations,
    rpc_error,
)
from agora_core.testing.service_harness import channel_to, running_service
from agora_core.testing.webhook_receiver import WebhookReceiver
from agora_notifications.bootstrap import NotificationsRuntime, build
from agora_notifications.settings import NotificationsSettings

from .support import (
    ManualClock,
    SmtpServer,
    event,
    stack_settings,
)

pytestmark = pytest.mark.integration

COMPLETED = "org.agora.learning.knowledge.completed.v1"


async def test_a_restart_mid_delivery_retries_after_the_lease(
    kafka_bootstrap: str, postgres_dsn: str, unique: str
) -> None:
    tenant = f"t-{unique}"
    path = f"slow-{unique}"
    clock = ManualClock()
    receiver = WebhookReceiver()
    await receiver.start()
    receiver.hold[path] = asyncio.Event()
    smtp = SmtpServer()
    settings = stack_settings(
        kafka_bootstrap,
        smtp.port,
        postgres_dsn=postgres_dsn,
        delivery_lease_seconds=60,
        shutdown_grace_seconds=1.0,
    )

    async def build_with_clock(s: NotificationsSettings) -> NotificationsRuntime:
        return await build(s, clock=clock)

    admin = caller(["admin"], tenant=tenant, subject="u-admin")
    await start_group_at_end(kafka_bootstrap, settings.group_id, load_platform_events().topics())
    try:
        async with (
            running_service(build_with_clock, settings) as first,
            channel_to(first) as channel,
        ):
            stub = NotificationsServiceStub(channel)
            created = await stub.CreateWebhookSubscription(
                pb.CreateWebhookSubscriptionRequest(
                    url=receiver.url(path), event_types=[COMPLETED]
                ),
                metadata=admin,
            )
            the_event = event(
                learning.KnowledgeCompletedV1(
                    learner_id="u-ada",
                    item_id="k-1",
                    item_type="video",
                    item_title="Intro",
                    completed_at=clock.now(),
                ),
                tenant=tenant,
                subject="u-ada",
            )
            await publish_events(kafka_bootstrap, [the_event])

            async def sending() -> bool:
                return len(receiver.at(path)) == 1

            await eventually(sending)
            # The first process stops while the endpoint has not answered yet.

        async with (
            running_service(build_with_clock, settings) as second,
            channel_to(second) as channel,
        ):
            assert isinstance(second, NotificationsRuntime)
            stub = NotificationsServiceStub(channel)

            async def delivery() -> pb.Delivery:
                log = await stub.ListDeliveries(
                    pb.ListDeliveriesRequest(subscription_id=created.subscription.subscription_id),
                    metadata=admin,
                )
                [only] = log.deliveries
                return only

            interrupted = await delivery()
            assert interrupted.state == pb.DELIVERY_STATE_PENDING
            assert interrupted.attempts == 0
            await second.worker.run_once()  # the lease still holds: nothing is sent
            assert len(receiver.at(path)) == 1

            receiver.hold[path].set()
            clock.advance(timedelta(seconds=61))
            await second.worker.run_once()

            async def delivered() -> bool:
                return (await delivery()).state == pb.DELIVERY_STATE_DELIVERED

            await eventually(delivered)
            assert len(receiver.at(path)) == 2
            assert {r.headers["ce-id"] for r in receiver.at(path)} == {the_event.event_id}
            assert (await delivery()).attempts == 1
    finally:
        receiver.hold[path].set()
        await receiver.stop()


async def test_subscriptions_to_internal_addresses_are_refused_by_default(
    kafka_bootstrap: str, postgres_dsn: str, unique: str
) -> None:
    settings = stack_settings(
        kafka_bootstrap,
        25,
        postgres_dsn=postgres_dsn,
        webhook_allow_private_addresses=False,
    )
    admin = caller(["admin"], tenant=f"t-{unique}", subject="u-admin")
    async with running_service(build, settings) as runtime, channel_to(runtime) as channel:
        stub = NotificationsServiceStub(channel)
        for url in (
            "http://127.0.0.1:8080/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.7/hook",
        ):
            error = await rpc_error(
                stub.CreateWebhookSubscription(
                    pb.CreateWebhookSubscriptionRequest(url=url), metadata=admin
                )
            )
            assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="url")
            assert "forbidden address range" in field_violations(error)["url"]
