"""One notifications service per test module, with a real SMTP server and webhook
receiver on loopback and a clock the tests move."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc.aio
import pytest
from notifications_integration.support import ManualClock, SmtpServer, WebhookReceiver, free_port

from agora.notifications.v1 import notifications_pb2_grpc
from agora_core.testing.service_harness import channel_to, running_service, test_settings
from agora_notifications.bootstrap import NotificationsRuntime, build
from agora_notifications.settings import NotificationsSettings


@dataclass
class Stack:
    runtime: NotificationsRuntime
    stub: notifications_pb2_grpc.NotificationsServiceStub
    clock: ManualClock
    smtp: SmtpServer
    receiver: WebhookReceiver
    settings: NotificationsSettings
    kafka: str

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.runtime.public_http.port}"


def stack_settings(
    kafka: str, mongo_uri: str, database: str, smtp_port: int, **overrides: object
) -> NotificationsSettings:
    public_port = free_port()
    values: dict[str, object] = {
        "smtp_port": smtp_port,
        # The unsubscribe links in emails must name the real port: pick it up front.
        "public_port": public_port,
        "public_base_url": f"http://127.0.0.1:{public_port}",
        "webhook_allow_private_addresses": True,
        "delivery_poll_interval_ms": 50,
        "delivery_max_attempts": 3,
        "delivery_backoff_seconds": 60,
        "delivery_backoff_max_seconds": 120,
        "scheduler_interval_seconds": 3600,
        "reminder_inactivity_hours": 72,
        "reminder_max_count": 3,
        "smtp_timeout_seconds": 5,
        "webhook_timeout_seconds": 5,
    }
    values.update(overrides)
    return test_settings(
        NotificationsSettings, kafka=kafka, mongo_uri=mongo_uri, database=database, **values
    )


@pytest.fixture(scope="module")
async def stack(kafka_bootstrap: str, mongo_uri: str) -> AsyncIterator[Stack]:
    smtp = SmtpServer()
    smtp.start()
    receiver = WebhookReceiver()
    await receiver.start()
    clock = ManualClock()
    settings = stack_settings(
        kafka_bootstrap, mongo_uri, f"notif_{uuid.uuid4().hex[:10]}", smtp.port
    )

    async def build_with_clock(s: NotificationsSettings) -> NotificationsRuntime:
        return await build(s, clock=clock)

    try:
        async with running_service(build_with_clock, settings) as runtime:
            assert isinstance(runtime, NotificationsRuntime)
            channel: grpc.aio.Channel = channel_to(runtime)
            async with channel:
                yield Stack(
                    runtime,
                    notifications_pb2_grpc.NotificationsServiceStub(channel),
                    clock,
                    smtp,
                    receiver,
                    settings,
                    kafka_bootstrap,
                )
    finally:
        await receiver.stop()
        smtp.stop()
