"""One catalog service per test module (real gRPC, Kafka, PostgreSQL); a tenant per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import pytest

from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceStub
from agora_catalog.bootstrap import build
from agora_catalog.settings import CatalogSettings
from agora_contracts.events.schemas import load_platform_events
from agora_core.runtime import ServiceRuntime
from agora_core.testing.event_tap import start_group_at_end
from agora_core.testing.postgres import create_test_database, drop_test_database
from agora_core.testing.service_harness import channel_to, running_service, test_settings

from .helpers import Tenant

if TYPE_CHECKING:
    from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceAsyncStub


@pytest.fixture(scope="module")
async def catalog_dsn(postgres_admin_dsn: str) -> AsyncIterator[str]:
    """A database of this module's own, reached with an ordinary role (RLS applies)."""
    name, dsn = await create_test_database(postgres_admin_dsn, prefix="catalog")
    yield dsn
    await drop_test_database(postgres_admin_dsn, name)


@pytest.fixture(scope="module")
async def catalog_runtime(kafka_bootstrap: str, catalog_dsn: str) -> AsyncIterator[ServiceRuntime]:
    settings = test_settings(CatalogSettings, kafka=kafka_bootstrap, postgres_dsn=catalog_dsn)
    # Not a replay of what earlier tests, runs and benchmarks published on the topics.
    await start_group_at_end(kafka_bootstrap, settings.group_id, load_platform_events().topics())
    async with running_service(build, settings) as runtime:
        yield runtime


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
