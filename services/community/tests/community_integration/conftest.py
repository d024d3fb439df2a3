"""One community service per test module on the real broker, FerretDB and gRPC server;
tests isolate themselves with their own tenant."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest

from agora.community.v1.community_pb2_grpc import CommunityServiceStub
from agora_community.bootstrap import build
from agora_community.entrypoints import events
from agora_community.settings import CommunitySettings
from agora_contracts.events.domains.privacy import ERASURES_TOPIC
from agora_core.storage import create_mongo_client
from agora_core.testing.event_tap import start_group_at_end
from agora_core.testing.service_harness import channel_to, running_service, test_settings

from .support import Community


@contextlib.asynccontextmanager
async def started_community(
    kafka_bootstrap: str, mongo_uri: str, **overrides: object
) -> AsyncIterator[Community]:
    """A running service on its own database, dropped afterwards."""
    database = f"community_{uuid.uuid4().hex[:10]}"
    settings = test_settings(
        CommunitySettings,
        kafka=kafka_bootstrap,
        mongo_uri=mongo_uri,
        database=database,
        **overrides,
    )
    # Not a replay of what earlier tests, runs and benchmarks published on the topics.
    await start_group_at_end(kafka_bootstrap, settings.group_id, [*events.TOPICS, ERASURES_TOPIC])
    try:
        async with running_service(build, settings) as runtime, channel_to(runtime) as channel:
            yield Community(CommunityServiceStub(channel), kafka_bootstrap)
    finally:
        client = create_mongo_client(mongo_uri)
        await client.drop_database(database)
        await client.close()


@pytest.fixture(scope="module")
async def community(kafka_bootstrap: str, mongo_uri: str) -> AsyncIterator[Community]:
    """The service under test, started once per module, with generous rate limits."""
    async with started_community(
        kafka_bootstrap, mongo_uri, rate_limit_likes=100_000, rate_limit_posts=1_000
    ) as running:
        yield running


@pytest.fixture
def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"
