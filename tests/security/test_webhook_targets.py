"""Webhook targets: the notifications service never lets an integrator point it at the
platform's own network (SSRF), unless a setting explicitly allows it.

A second notifications instance runs with the default settings (private targets
refused); the suite's platform instance runs with ``webhook_allow_private_addresses``
on, as tests and on-premise setups do.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import grpc
import grpc.aio
import pytest

from agora.notifications.v1 import notifications_pb2 as pb
from agora.notifications.v1.notifications_pb2_grpc import NotificationsServiceStub
from agora_contracts.events.domains.learning import KnowledgeCompletedV1
from agora_core.messaging.events import OutgoingEvent
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events
from agora_core.testing.grpc_assertions import assert_status
from agora_core.testing.postgres import scratch_database
from agora_notifications.bootstrap import build
from agora_notifications.settings import NotificationsSettings

from .loopback import free_port
from .platform_stack import Platform, settings_for, started

if TYPE_CHECKING:
    from agora.notifications.v1.notifications_pb2_grpc import NotificationsServiceAsyncStub

pytestmark = [pytest.mark.security, pytest.mark.integration]

REFUSED_TARGETS = [
    # Loopback, written every way a resolver accepts it.
    "http://127.0.0.1/hook",
    "http://127.255.0.9:8080/hook",
    "http://127.1/hook",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "http://0177.0.0.1/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:7f00:1]/hook",
    # Hostnames that resolve to loopback (/etc/hosts).
    "http://localhost/hook",
    "https://LOCALHOST:8443/hook",
    # Private ranges.
    "http://10.0.0.1/hook",
    "http://10.255.255.254/hook",
    "http://172.16.0.1/hook",
    "http://172.31.255.254/hook",
    "http://192.168.0.1/hook",
    "http://192.168.255.254/hook",
    "http://[fc00::1]/hook",
    "http://[fd12:3456:789a::1]/hook",
    # Link-local: where cloud metadata services live.
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/hook",
    # Other non-public ranges reaching the platform's network.
    "http://0.0.0.0/hook",
    "http://[::]/hook",
    "http://100.64.0.1/hook",
    "http://192.0.0.1/hook",
    "http://198.18.0.1/hook",
    "http://224.0.0.1/hook",
    "http://[64:ff9b::7f00:1]/hook",
    "http://[2002:7f00:1::]/hook",
    # Not an http(s) URL, or with credentials, or no host.
    "file:///etc/passwd",
    "ftp://93.184.216.34/hook",
    "gopher://93.184.216.34:70/_x",
    "javascript:alert(1)",
    "http://user:secret@93.184.216.34/hook",
    "http:///hook",
]
PUBLIC_TARGET = "https://93.184.216.34/hook"  # an IP literal: no DNS needed in the sandbox


@pytest.fixture(scope="module")
async def guarded(
    platform: Platform, postgres_admin_dsn: str
) -> AsyncIterator[NotificationsServiceAsyncStub]:
    """A notifications instance with the production default: private targets refused."""
    public_port = free_port()
    async with scratch_database(postgres_admin_dsn, "sec_guarded") as postgres_dsn:
        settings: NotificationsSettings = settings_for(
            NotificationsSettings,
            kafka=platform.kafka,
            known=platform.secrets,
            postgres_dsn=postgres_dsn,
            public_port=public_port,
            public_base_url=f"http://127.0.0.1:{public_port}",
            smtp_port=platform.smtp.port,
        )
        assert settings.webhook_allow_private_addresses is False
        async with started("notifications-guarded", build, settings) as service:
            stub: NotificationsServiceAsyncStub = NotificationsServiceStub(service.channel)
            yield stub


@pytest.mark.parametrize("url", REFUSED_TARGETS)
async def test_private_and_odd_targets_are_refused_by_default(
    platform: Platform, guarded: NotificationsServiceAsyncStub, url: str
) -> None:
    admin = platform.caller(f"t-ssrf-{uuid.uuid4().hex[:8]}")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await guarded.CreateWebhookSubscription(
            pb.CreateWebhookSubscriptionRequest(url=url), metadata=admin
        )
    assert_status(raised, grpc.StatusCode.INVALID_ARGUMENT, field="url")
    listed = await guarded.ListWebhookSubscriptions(
        pb.ListWebhookSubscriptionsRequest(), metadata=admin
    )
    assert list(listed.subscriptions) == []


async def test_a_public_target_is_accepted_by_default(
    platform: Platform, guarded: NotificationsServiceAsyncStub
) -> None:
    """The guard refuses ranges, not everything (its check must be able to pass)."""
    admin = platform.caller(f"t-ssrf-{uuid.uuid4().hex[:8]}")
    created = await guarded.CreateWebhookSubscription(
        pb.CreateWebhookSubscriptionRequest(url=PUBLIC_TARGET), metadata=admin
    )
    platform.learned_secrets.add(created.secret)
    assert created.subscription.url == PUBLIC_TARGET


async def test_loopback_is_accepted_only_when_the_setting_allows_it(platform: Platform) -> None:
    stub: NotificationsServiceAsyncStub = NotificationsServiceStub(
        platform.services["notifications"].channel
    )
    created = await stub.CreateWebhookSubscription(
        pb.CreateWebhookSubscriptionRequest(url=platform.receiver.url("allowed")),
        metadata=platform.caller(f"t-ssrf-{uuid.uuid4().hex[:8]}"),
    )
    platform.learned_secrets.add(created.secret)
    assert created.subscription.url == platform.receiver.url("allowed")


async def test_redirects_are_not_followed(platform: Platform) -> None:
    """A target answering 3xx towards an internal address gets no second request."""
    tenant = f"t-ssrf-{uuid.uuid4().hex[:8]}"
    admin = platform.caller(tenant)
    stub: NotificationsServiceAsyncStub = NotificationsServiceStub(
        platform.services["notifications"].channel
    )
    hop, internal = f"redirect-{tenant}", f"internal-{tenant}"
    platform.receiver.redirects[hop] = platform.receiver.url(internal)
    created = await stub.CreateWebhookSubscription(
        pb.CreateWebhookSubscriptionRequest(url=platform.receiver.url(hop)), metadata=admin
    )
    platform.learned_secrets.add(created.secret)
    subscription = created.subscription.subscription_id
    completed = KnowledgeCompletedV1(
        learner_id="u-ada",
        item_id="k-1",
        item_type="wiki",
        item_title="Redirects",
        completed_at=datetime.now(UTC),
    )
    await publish_events(
        platform.kafka,
        [
            OutgoingEvent.create(
                completed,
                source="/agora/catalog",
                subject="k-1",
                tenant_id=tenant,
                actor_id="u-ada",
                event_id=uuid.uuid4(),
            )
        ],
    )

    async def attempted() -> bool:
        listed = await stub.ListDeliveries(
            pb.ListDeliveriesRequest(subscription_id=subscription), metadata=admin
        )
        return any(d.last_error for d in listed.deliveries)

    await eventually(attempted, timeout=120)
    assert platform.receiver.at(hop), "the webhook was never sent"
    assert platform.receiver.at(internal) == [], "the service followed the redirect"
    listed = await stub.ListDeliveries(
        pb.ListDeliveriesRequest(subscription_id=subscription), metadata=admin
    )
    assert not any(d.state == pb.DELIVERY_STATE_DELIVERED for d in listed.deliveries)
    delivery = next(d for d in listed.deliveries if d.last_error)
    assert "307" in delivery.last_error
    assert datetime.now(UTC) >= delivery.create_time.ToDatetime(tzinfo=UTC)
