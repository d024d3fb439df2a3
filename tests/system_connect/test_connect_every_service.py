"""Every service answers over Connect (JSON and binary, HTTP/1.1 and h2c) exactly what it
answers over native gRPC: a read, an error with BadRequest field details, and a call
without a token. Each service runs in process from its own ``build`` with
``CONNECT_ENABLED``, as its bootstrap runs in production."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf.message import Message

from agora.catalog.v1 import catalog_pb2
from agora.community.v1 import community_pb2
from agora.gamification.v1 import gamification_pb2
from agora.notifications.v1 import notifications_pb2
from agora_catalog.bootstrap import build as build_catalog
from agora_catalog.settings import CatalogSettings
from agora_community.bootstrap import build as build_community
from agora_community.settings import CommunitySettings
from agora_core.runtime import ServiceRuntime
from agora_core.settings import ServiceSettings
from agora_core.testing.connect_client import (
    ConnectCallError,
    Encoding,
    connect_call,
    connect_field_violations,
)
from agora_core.testing.grpc_assertions import assert_status, caller, field_violations, rpc_error
from agora_core.testing.postgres import scratch_database
from agora_core.testing.service_harness import running_service, test_settings
from agora_gamification.bootstrap import build as build_gamification
from agora_gamification.settings import GamificationSettings
from agora_notifications.bootstrap import build as build_notifications
from agora_notifications.settings import NotificationsSettings

pytestmark = pytest.mark.system


@dataclass(frozen=True)
class ServiceUnderTest:
    """A service, one list read of its own and its response type."""

    name: str
    settings: type[ServiceSettings]
    build: Callable[[Any], Awaitable[ServiceRuntime]]
    method: str
    request: Callable[..., Message]
    response: type[Message]


SERVICES = [
    ServiceUnderTest(
        "catalog",
        CatalogSettings,
        build_catalog,
        "/agora.catalog.v1.CatalogService/ListPaths",
        catalog_pb2.ListPathsRequest,
        catalog_pb2.ListPathsResponse,
    ),
    ServiceUnderTest(
        "community",
        CommunitySettings,
        build_community,
        "/agora.community.v1.CommunityService/DiscoverSpaces",
        community_pb2.DiscoverSpacesRequest,
        community_pb2.DiscoverSpacesResponse,
    ),
    ServiceUnderTest(
        "gamification",
        GamificationSettings,
        build_gamification,
        "/agora.gamification.v1.GamificationService/ListChallenges",
        gamification_pb2.ListChallengesRequest,
        gamification_pb2.ListChallengesResponse,
    ),
    ServiceUnderTest(
        "notifications",
        NotificationsSettings,
        build_notifications,
        "/agora.notifications.v1.NotificationsService/ListInbox",
        notifications_pb2.ListInboxRequest,
        notifications_pb2.ListInboxResponse,
    ),
]


@dataclass
class Running:
    service: ServiceUnderTest
    connect_url: str
    channel: grpc.aio.Channel

    async def grpc_call(self, request: Message, metadata: Any) -> Message:
        call = self.channel.unary_unary(
            self.service.method,
            request_serializer=lambda message: message.SerializeToString(),
            response_deserializer=self.service.response.FromString,
        )
        response: Message = await call(request, metadata=metadata)
        return response


@pytest.fixture(scope="module", params=SERVICES, ids=[service.name for service in SERVICES])
async def running(
    request: pytest.FixtureRequest,
    kafka_bootstrap: str,
    postgres_admin_dsn: str,
) -> AsyncIterator[Running]:
    service: ServiceUnderTest = request.param
    async with contextlib.AsyncExitStack() as stack:
        # Each service gets a database of its own.
        dsn = await stack.enter_async_context(
            scratch_database(postgres_admin_dsn, f"connect_{service.name[:4]}")
        )
        settings = test_settings(
            service.settings,
            kafka=kafka_bootstrap,
            postgres_dsn=dsn,
            connect_enabled=True,
            connect_port=0,
        )
        runtime = await stack.enter_async_context(running_service(service.build, settings))
        connect = getattr(runtime.api, "connect", None)
        assert connect is not None, "CONNECT_ENABLED did not open the Connect endpoint"
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{runtime.grpc_port}")
        yield Running(service, connect.url, channel)
        await channel.close(None)


@pytest.mark.parametrize("http_version", ["HTTP/1.1", "HTTP/2"])
@pytest.mark.parametrize("encoding", ["json", "proto"])
async def test_a_read_an_invalid_request_and_an_anonymous_call_match_native_grpc(
    running: Running, http_version: str, encoding: Encoding
) -> None:
    service = running.service
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    metadata = caller(("learner",), tenant=tenant, subject="learner-1")
    headers = dict(metadata)
    http2 = http_version == "HTTP/2"
    async with httpx.AsyncClient(http1=not http2, http2=http2, timeout=20) as http:

        async def over_connect(request: Message, headers: dict[str, str]) -> Message:
            return await connect_call(
                http,
                running.connect_url,
                service.method,
                request,
                service.response,
                encoding=encoding,
                headers=headers,
            )

        read = service.request(page_size=5)
        assert await over_connect(read, headers) == await running.grpc_call(read, metadata)

        invalid = service.request(page_size=-1)
        native = await rpc_error(running.grpc_call(invalid, metadata))
        assert_status(native, grpc.StatusCode.INVALID_ARGUMENT, field="page_size")
        with pytest.raises(ConnectCallError) as refused:
            await over_connect(invalid, headers)
        assert (refused.value.http_status, refused.value.code) == (400, "invalid_argument")
        assert refused.value.message == native.details()
        assert connect_field_violations(refused.value) == field_violations(native)

        anonymous = await rpc_error(running.grpc_call(read, ()))
        assert_status(anonymous, grpc.StatusCode.UNAUTHENTICATED)
        with pytest.raises(ConnectCallError) as unauthenticated:
            await over_connect(read, {})
        assert (unauthenticated.value.http_status, unauthenticated.value.code) == (
            401,
            "unauthenticated",
        )
        assert unauthenticated.value.message == anonymous.details()
