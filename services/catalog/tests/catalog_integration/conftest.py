"""One catalog service per test module (real gRPC, Kafka, FerretDB); a tenant per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceStub
from agora_catalog.bootstrap import build
from agora_catalog.entrypoints import events
from agora_catalog.settings import CatalogSettings
from agora_core.runtime import ServiceRuntime
from agora_core.storage import create_mongo_client
from agora_core.testing.event_tap import start_group_at_end
from agora_core.testing.service_harness import channel_to, running_service, test_settings

from .helpers import Tenant

if TYPE_CHECKING:
    from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceAsyncStub


@pytest.fixture(scope="module")
async def catalog_runtime(kafka_bootstrap: str, mongo_uri: str) -> AsyncIterator[ServiceRuntime]:
    database = f"catalog_{uuid.uuid4().hex[:10]}"
    settings = test_settings(
        CatalogSettings, kafka=kafka_bootstrap, mongo_uri=mongo_uri, database=database
    )
    # Not a replay of what earlier tests, runs and benchmarks published on the topics.
    await start_group_at_end(kafka_bootstrap, settings.group_id, events.TOPICS)
    async with running_service(build, settings) as runtime:
        yield runtime
    client = create_mongo_client(mongo_uri)
    await client.drop_database(database)
    await client.close()


@pytest.fixture(scope="module")
async def stub(catalog_runtime: ServiceRuntime) -> AsyncIterator[CatalogServiceAsyncStub]:
    async with channel_to(catalog_runtime) as channel:
        yield CatalogServiceStub(channel)


@pytest.fixture
async def tenant(
    stub: CatalogServiceAsyncStub, catalog_runtime: ServiceRuntime, unique: str
) -> Tenant:
    """A fresh tenant with a small taxonomy (themes and skills with experts)."""
    t = Tenant(stub=stub, tenant_id=f"t-{unique}", runtime=catalog_runtime)
    await t.seed_taxonomy()
    return t
