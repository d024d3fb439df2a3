"""One community service per test module on the real broker, PostgreSQL and gRPC
server; tests isolate themselves with their own tenant."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from agora.community.v1.community_pb2_grpc import CommunityServiceStub
from agora_community.bootstrap import build
from agora_community.entrypoints import events
from agora_community.settings import CommunitySettings
from agora_contracts.events.domains.privacy import ERASURES_TOPIC
from agora_core.postgres import Database
from agora_core.runtime import ServiceRuntime
from agora_core.testing.event_tap import start_group_at_end
from agora_core.testing.postgres import create_test_database, drop_test_database
from agora_core.testing.service_harness import channel_to, running_service, test_settings

from .support import Community


@dataclass
class Started:
    """A running service: its stub helper, its runtime and its database."""

    community: Community
    runtime: ServiceRuntime
    database: Database


@contextlib.asynccontextmanager
async def started_service(
    kafka_bootstrap: str, postgres_admin_dsn: str, **overrides: object
) -> AsyncIterator[Started]:
    """A running service on a database of its own, dropped afterwards."""
    name, dsn = await create_test_database(postgres_admin_dsn, prefix="community")
    values: dict[str, Any] = {"postgres_dsn": dsn, **overrides}
    settings = test_settings(CommunitySettings, kafka=kafka_bootstrap, **values)
    # Not a replay of what earlier tests, runs and benchmarks published on the topics.
    await start_group_at_end(kafka_bootstrap, settings.group_id, [*events.TOPICS, ERASURES_TOPIC])
    try:
        async with running_service(build, settings) as runtime, channel_to(runtime) as channel:
            community = Community(CommunityServiceStub(channel), kafka_bootstrap)
            yield Started(community, runtime, runtime.require_postgres())
    finally:
        await drop_test_database(postgres_admin_dsn, name)


@contextlib.asynccontextmanager
async def started_community(
    kafka_bootstrap: str, postgres_admin_dsn: str, **overrides: object
) -> AsyncIterator[Community]:
    """A running service on its own database (see :func:`started_service`)."""
    async with started_service(kafka_bootstrap, postgres_admin_dsn, **overrides) as started:
        yield started.community


@pytest.fixture(scope="module")
async def community(kafka_bootstrap: str, postgres_admin_dsn: str) -> AsyncIterator[Community]:
    """The service under test, started once per module, with generous rate limits."""
    async with started_community(
        kafka_bootstrap, postgres_admin_dsn, rate_limit_likes=100_000, rate_limit_posts=1_000
    ) as running:
        yield running


@pytest.fixture
def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"
