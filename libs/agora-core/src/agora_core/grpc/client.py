"""Client-side helpers for calling Agora gRPC services: bearer metadata, and client
interceptors that trace each call and send its context (W3C ``traceparent``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import grpc
import grpc.aio
from opentelemetry.trace import SpanKind, Status, StatusCode

from agora_core.grpc.auth_interceptor import AUTHORIZATION_KEY
from agora_core.tracing.propagation import metadata_with_context
from agora_core.tracing.provider import tracer

if TYPE_CHECKING:
    _UnaryUnary: TypeAlias = grpc.aio.UnaryUnaryClientInterceptor[Any, Any]
    _UnaryStream: TypeAlias = grpc.aio.UnaryStreamClientInterceptor[Any, Any]
else:
    _UnaryUnary = grpc.aio.UnaryUnaryClientInterceptor
    _UnaryStream = grpc.aio.UnaryStreamClientInterceptor


def bearer_metadata(token: str) -> tuple[tuple[str, str]]:
    """Call metadata presenting ``token``: pass as ``metadata=`` on any stub call."""
    return ((AUTHORIZATION_KEY, f"Bearer {token}"),)


class _TracingClientInterceptor:
    """A client span per call (kind CLIENT) whose context travels in the metadata."""

    def _details(self, details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        return grpc.aio.ClientCallDetails(
            details.method,
            details.timeout,
            grpc.aio.Metadata(*metadata_with_context(details.metadata)),
            details.credentials,
            details.wait_for_ready,
        )

    def _span_name(self, details: grpc.aio.ClientCallDetails) -> str:
        method = details.method
        return (method.decode() if isinstance(method, bytes) else method).lstrip("/")


class TracingUnaryUnaryInterceptor(_TracingClientInterceptor, _UnaryUnary):
    """Traces unary calls: the span ends with the response (or its error)."""

    async def intercept_unary_unary(
        self, continuation: Any, client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        with tracer().start_as_current_span(
            self._span_name(client_call_details), kind=SpanKind.CLIENT
        ) as span:
            call = await continuation(self._details(client_call_details), request)
            code = await call.code()
            if span.is_recording():
                span.set_attribute("rpc.system", "grpc")
                span.set_attribute("rpc.grpc.status_code", code.value[0])
                if code is not grpc.StatusCode.OK:
                    span.set_status(Status(StatusCode.ERROR, code.name))
            return call


class TracingUnaryStreamInterceptor(_TracingClientInterceptor, _UnaryStream):
    """Traces server-streaming calls: the span covers starting the call."""

    async def intercept_unary_stream(
        self, continuation: Any, client_call_details: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        with tracer().start_as_current_span(
            self._span_name(client_call_details), kind=SpanKind.CLIENT
        ):
            return await continuation(self._details(client_call_details), request)


def tracing_interceptors() -> list[Any]:  # grpc's stubs type channel interceptors loosely
    """Client interceptors that trace calls and send the trace context: pass as
    ``interceptors=`` when opening a channel to another service."""
    return [TracingUnaryUnaryInterceptor(), TracingUnaryStreamInterceptor()]
