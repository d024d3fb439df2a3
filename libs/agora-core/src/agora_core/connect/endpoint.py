"""Build the Connect endpoint of a gRPC server from its registrations and settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agora_core.connect.app import ConnectApp
from agora_core.connect.cors import CorsPolicy
from agora_core.connect.methods import MethodTable
from agora_core.connect.server import ConnectServer
from agora_core.grpc.handler_wrapping import ScopeInterceptor
from agora_core.settings import ServiceSettings


def create_connect_server(
    settings: ServiceSettings,
    registrations: Sequence[Any],
    interceptors: Sequence[ScopeInterceptor],
) -> ConnectServer:
    """A bound Connect server for the same servicers and interceptors as gRPC."""
    cors = CorsPolicy(
        settings.connect_cors_allowed_origins,
        allow_credentials=settings.connect_cors_allow_credentials,
        max_age_seconds=settings.connect_cors_max_age_seconds,
    )
    app = ConnectApp(
        MethodTable(registrations, interceptors),
        cors,
        max_message_bytes=settings.grpc_max_message_bytes,
    )
    return ConnectServer(
        app,
        settings.connect_host,
        settings.connect_port,
        grace_seconds=settings.shutdown_grace_seconds,
    )
