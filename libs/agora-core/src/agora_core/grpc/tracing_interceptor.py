"""A server span for every gRPC call, continuing the caller's trace (W3C metadata).

Installed outermost, so everything the call does (auth, error mapping, the use case,
its queries and the events it publishes) runs inside the span and carries its trace
id; the span ends with the status code the client sees.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

import grpc
from opentelemetry.trace import SpanKind, Status, StatusCode

from agora_core.grpc.handler_wrapping import Context, ScopeInterceptor, split_method
from agora_core.tracing.propagation import context_from_metadata
from agora_core.tracing.provider import tracer

SERVER_ERROR_CODES: Final = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)
"""Codes that mark a server span failed (OpenTelemetry's RPC conventions): the
others (NOT_FOUND, INVALID_ARGUMENT…) are the caller's doing, not the server's."""


UNTRACED_SERVICES: Final = frozenset(
    {"grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"}
)
"""Probes and tooling: a Kubernetes probe every few seconds would start a trace each."""


class TracingInterceptor(ScopeInterceptor):
    """Opens ``<service>/<method>`` (kind SERVER) around each call (probes aside)."""

    @asynccontextmanager
    async def scope(
        self, details: grpc.HandlerCallDetails, context: Context
    ) -> AsyncIterator[None]:
        service, method = split_method(details.method)
        if service in UNTRACED_SERVICES:
            yield
            return
        with tracer().start_as_current_span(
            f"{service}/{method}",
            context=context_from_metadata(context.invocation_metadata()),
            kind=SpanKind.SERVER,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            code = grpc.StatusCode.UNKNOWN
            try:
                yield
                code = context.code() or grpc.StatusCode.OK
            except grpc.aio.AbortError:
                code = context.code() or grpc.StatusCode.UNKNOWN
                raise
            except asyncio.CancelledError:
                code = grpc.StatusCode.CANCELLED
                raise
            except Exception as error:
                if span.is_recording():
                    span.record_exception(error)
                raise
            finally:
                if span.is_recording():
                    span.set_attributes(
                        {
                            "rpc.system": "grpc",
                            "rpc.service": service,
                            "rpc.method": method,
                            "rpc.grpc.status_code": code.value[0],
                        }
                    )
                    if code in SERVER_ERROR_CODES:
                        span.set_status(Status(StatusCode.ERROR, code.name))
