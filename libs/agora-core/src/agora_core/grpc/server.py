"""Build an Agora gRPC server: interceptors, health checking, reflection, limits.

Every service calls :func:`create_grpc_server` from its bootstrap; tests call it with
``grpc_port=0`` and read the bound port from :attr:`GrpcServer.port`::

    server = create_grpc_server(
        settings,
        registrations=[ServiceRegistration(add_NotesServiceServicer_to_server, servicer)],
        policy=NOTES_POLICY,
        service_names=["agora.testing.v1.NotesService"],
    )
    async with server:  # start(); on exit stop(settings.shutdown_grace_seconds)
        await server.wait_for_termination()
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, TypeVar

import grpc
import grpc.aio
import structlog
from grpc_health.v1 import health as grpc_health
from grpc_health.v1 import health_pb2, health_pb2_grpc

# The typing stubs for grpcio-health-checking predate its asyncio servicer.
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]
from grpc_reflection.v1alpha import reflection

from agora.admin.v1 import admin_pb2_grpc
from agora_core.connect.endpoint import create_connect_server
from agora_core.connect.server import ConnectServer
from agora_core.grpc.auth import TokenVerifier
from agora_core.grpc.auth_interceptor import AuthInterceptor
from agora_core.grpc.error_mapping import ErrorMappingInterceptor
from agora_core.grpc.handler_wrapping import ScopeInterceptor
from agora_core.grpc.metrics_interceptor import MetricsInterceptor
from agora_core.grpc.operations_servicer import (
    OPERATIONS_POLICY,
    OPERATIONS_SERVICE_NAME,
    OperationsServicer,
)
from agora_core.grpc.policy import MethodPolicy
from agora_core.grpc.tracing_interceptor import TracingInterceptor
from agora_core.operations import Operations
from agora_core.settings import ServiceSettings

log = structlog.get_logger(__name__)

ServicerT = TypeVar("ServicerT")

OVERALL_HEALTH = ""
"""Health-check service name for the server as a whole."""


@dataclass(frozen=True)
class ServiceRegistration(Generic[ServicerT]):
    """A servicer and the generated ``add_<Service>Servicer_to_server`` that mounts it."""

    add_to_server: Callable[[ServicerT, grpc.aio.Server], None]
    servicer: ServicerT

    def register(self, server: grpc.aio.Server) -> None:
        self.add_to_server(self.servicer, server)


class GrpcServer:
    """A bound (not yet started) grpc.aio server with its health servicer."""

    def __init__(
        self,
        server: grpc.aio.Server,
        *,
        host: str,
        port: int,
        health: Any,
        service_names: Sequence[str],
        shutdown_grace_seconds: float,
        operations: OperationsServicer | None = None,
        connect: ConnectServer | None = None,
    ) -> None:
        self.server = server
        self.host = host
        self.port = port
        """The bound port (the real one when settings asked for port 0)."""
        self.health = health
        """The ``grpc_health.v1`` aio HealthServicer this server answers with."""
        self.service_names = tuple(service_names)
        self._shutdown_grace_seconds = shutdown_grace_seconds
        self._operations = operations
        self.connect = connect
        """The Connect / gRPC-Web endpoint on the same servicers (CONNECT_ENABLED)."""

    def attach_operations(self, operations: Operations) -> None:
        """Serve ``agora.admin.v1.OperationsService`` with the runtime's operations."""
        if self._operations is not None:
            self._operations.attach(operations)

    @property
    def address(self) -> str:
        """``host:port`` to dial."""
        return f"{self.host}:{self.port}"

    async def start(self) -> None:
        """Start serving, then report SERVING for every service and the server itself."""
        await self.server.start()
        if self.connect is not None:
            await self.connect.start()
        for name in (*self.service_names, OVERALL_HEALTH):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("grpc.server_started", address=self.address, services=list(self.service_names))

    async def stop(self, grace: float | None) -> None:
        """Report NOT_SERVING (so balancers drain us), then stop, letting in-flight calls
        finish for up to ``grace`` seconds before they are cancelled."""
        # Sets every service NOT_SERVING and ignores later set() calls.
        await self.health.enter_graceful_shutdown()
        if self.connect is None:
            await self.server.stop(grace)
        else:
            # Both drain at once, so the pod's stop budget counts the grace once.
            await asyncio.gather(self.connect.stop(), self.server.stop(grace))
        log.info("grpc.server_stopped", address=self.address)

    async def wait_for_termination(self) -> None:
        await self.server.wait_for_termination()

    async def __aenter__(self) -> GrpcServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop(self._shutdown_grace_seconds)


def default_interceptors(verifier: TokenVerifier, policy: MethodPolicy) -> list[ScopeInterceptor]:
    """Tracing outermost (the whole call in its span), then metrics (sees final codes),
    then error mapping, then auth."""
    return [
        TracingInterceptor(),
        MetricsInterceptor(),
        ErrorMappingInterceptor(),
        AuthInterceptor(verifier, policy),
    ]


def server_options(settings: ServiceSettings) -> list[tuple[str, int]]:
    """Channel arguments of every Agora server: message limits and connection age."""
    options = [
        ("grpc.max_send_message_length", settings.grpc_max_message_bytes),
        ("grpc.max_receive_message_length", settings.grpc_max_message_bytes),
        # Without this a second process could bind the same port and silently share it.
        ("grpc.so_reuseport", 0),
    ]
    if settings.grpc_max_connection_age_seconds > 0:
        # HTTP/2 connections are long-lived: without an age, clients stay on the replicas
        # they first reached and a scale-out gets no traffic. GOAWAY makes them redial
        # (through the balancer or DNS) between calls; gRPC adds ±10 % jitter.
        age_ms = max(1, round(settings.grpc_max_connection_age_seconds * 1000))
        grace_ms = round(settings.grpc_max_connection_age_grace_seconds * 1000)
        options += [
            ("grpc.max_connection_age_ms", age_ms),
            ("grpc.max_connection_age_grace_ms", grace_ms),
        ]
    return options


def create_grpc_server(
    settings: ServiceSettings,
    *,
    registrations: Sequence[ServiceRegistration[Any]],
    policy: MethodPolicy,
    service_names: Sequence[str],
    verifier: TokenVerifier | None = None,
) -> GrpcServer:
    """Build and bind a server on ``settings.grpc_host:grpc_port`` (0 = any free port).

    ``service_names`` are the full names of the hosted services (for health checking
    and reflection). The verifier defaults to one built from ``settings``.

    With ``settings.connect_enabled`` the same servicers, behind the same interceptor
    objects, are also served over Connect and gRPC-Web on ``connect_host:connect_port``
    (:attr:`GrpcServer.connect`), started and stopped with the gRPC server.

    Every server also hosts ``agora.admin.v1.OperationsService`` (dead-letter replay,
    consumer rewind; admins only), answered once a runtime attaches its operations.
    """
    verifier = verifier or TokenVerifier(settings)
    operations = OperationsServicer()
    registrations = [
        *registrations,
        ServiceRegistration(admin_pb2_grpc.add_OperationsServiceServicer_to_server, operations),
    ]
    service_names = [*service_names, OPERATIONS_SERVICE_NAME]
    policy = policy.merge(OPERATIONS_POLICY)
    interceptors = default_interceptors(verifier, policy)
    server = grpc.aio.server(interceptors=interceptors, options=server_options(settings))
    for registration in registrations:
        registration.register(server)
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    reflection.enable_server_reflection(
        (*service_names, grpc_health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    port = server.add_insecure_port(f"{settings.grpc_host}:{settings.grpc_port}")
    if port == 0:
        raise RuntimeError(f"could not bind gRPC port {settings.grpc_host}:{settings.grpc_port}")
    connect = (
        create_connect_server(settings, registrations, interceptors)
        if settings.connect_enabled
        else None
    )
    return GrpcServer(
        server,
        host=settings.grpc_host,
        port=port,
        health=health,
        service_names=service_names,
        shutdown_grace_seconds=settings.shutdown_grace_seconds,
        operations=operations,
        connect=connect,
    )
