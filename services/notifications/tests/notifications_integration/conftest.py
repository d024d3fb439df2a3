"""One notifications service per test module, with a real SMTP server and webhook
receiver on loopback and a clock the tests move."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc.aio
import pytest

from agora.notifications.v1 import notifications_pb2_grpc
from agora_contracts.events.schemas import load_platform_events
from agora_core.testing.event_tap import start_group_at_end
from agora_core.testing.postgres import create_test_database, drop_test_database
from agora_core.testing.service_harness import channel_to, running_service
from agora_core.testing.webhook_receiver import WebhookReceiver
from agora_notifications.bootstrap import NotificationsRuntime, build
from agora_notifications.settings import NotificationsSettings

from .support import (
    ManualClock,
    SmtpServer,
    Stack,
    stack_settings,
)


@pytest.fixture(scope="module")
async def notifications_dsn(postgres_admin_dsn: str) -> AsyncIterator[str]:
    """The PostgreSQL database of the module's service, dropped after."""
    name, dsn = await create_test_database(postgres_admin_dsn, prefix="notifications")
    yield dsn
    await drop_test_database(postgres_admin_dsn, name)


@pytest.fixture(scope="module")
async def stack(kafka_bootstrap: str, notifications_dsn: str) -> AsyncIterator[Stack]:
    smtp = SmtpServer()
    smtp.start()
    receiver = WebhookReceiver()
    await receiver.start()
    clock = ManualClock()
    settings = stack_settings(
        kafka_bootstrap,
        smtp.port,
        postgres_dsn=notifications_dsn,
    )

    async def build_with_clock(s: NotificationsSettings) -> NotificationsRuntime:
        return await build(s, clock=clock)

    await start_group_at_end(kafka_bootstrap, settings.group_id, load_platform_events().topics())
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
