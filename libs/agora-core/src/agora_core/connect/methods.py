"""The servicers' own method handlers, wrapped by the server's own interceptors.

A Connect or gRPC-Web call is dispatched in process to the handler grpc itself would
run: :class:`MethodTable` collects the handlers by calling each service's generated
``add_<Service>Servicer_to_server`` on a recorder (the public registration API), then
wraps each through the same interceptor objects as the grpc.aio server (metrics, error
mapping, auth and roles). A call therefore runs the same servicer method under the
same checks and ends with the same status; only the framing differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import Message

from agora_core.grpc.handler_wrapping import Handler, ScopeInterceptor


class _CallDetails(grpc.HandlerCallDetails):
    """What an interceptor learns of a call: its method and its metadata."""

    def __init__(self, method: str, metadata: tuple[tuple[str, str | bytes], ...]) -> None:
        self.method = method
        self.invocation_metadata = metadata


class _HandlerRecorder:
    """Stands in for a grpc server while generated code registers its handlers."""

    def __init__(self) -> None:
        self.generic: list[grpc.GenericRpcHandler[Any, Any]] = []

    def add_generic_rpc_handlers(
        self, handlers: Sequence[grpc.GenericRpcHandler[Any, Any]]
    ) -> None:
        self.generic.extend(handlers)

    def add_registered_method_handlers(self, service: str, handlers: dict[str, Any]) -> None:
        """Newer generated code also registers by name; the generic handlers cover it."""


@dataclass(frozen=True)
class Method:
    """One unary method reachable over Connect."""

    path: str
    """Full method name, ``/agora.catalog.v1.CatalogService/GetItem``."""
    request_type: type[Message]
    response_type: type[Message]
    raw_handler: Handler

    def parse_binary(self, body: bytes) -> Any:
        """Decode the request as grpc would (the generated deserializer)."""
        deserialize = self.raw_handler.request_deserializer
        return deserialize(body) if deserialize is not None else body

    def serialize_binary(self, response: Any) -> bytes:
        serialize = self.raw_handler.response_serializer
        result: bytes = serialize(response) if serialize is not None else response
        return result


class MethodTable:
    """Every unary method of the registered servicers, by full method name."""

    def __init__(
        self, registrations: Sequence[Any], interceptors: Sequence[ScopeInterceptor]
    ) -> None:
        recorder = _HandlerRecorder()
        for registration in registrations:
            registration.add_to_server(registration.servicer, recorder)
        self._generic = tuple(recorder.generic)
        self._interceptors = tuple(interceptors)
        self._methods: dict[str, Method | None] = {}

    def find(self, path: str) -> Method | None:
        """The method at ``path``, None if no servicer has it or it streams."""
        if path in self._methods:
            return self._methods[path]
        method = self._lookup(path)
        self._methods[path] = method
        return method

    def streaming(self, path: str) -> bool:
        """True for a streaming method (served over native gRPC only)."""
        handler = self._raw(path)
        return handler is not None and handler.unary_unary is None

    async def wrapped_handler(
        self, path: str, metadata: tuple[tuple[str, str | bytes], ...]
    ) -> Any:
        """The handler of ``path`` inside every interceptor's scope, for one call."""
        details = _CallDetails(path, metadata)
        handler: Handler | None = None
        for interceptor in reversed(self._interceptors):
            inner = handler

            async def continuation(
                _details: grpc.HandlerCallDetails, inner: Handler | None = inner
            ) -> Handler | None:
                return inner if inner is not None else self._raw(path)

            handler = await interceptor.intercept_service(continuation, details)
        return handler if handler is not None else self._raw(path)

    def _raw(self, path: str) -> Handler | None:
        details = _CallDetails(path, ())
        for generic in self._generic:
            handler = generic.service(details)
            if handler is not None:
                return handler
        return None

    def _lookup(self, path: str) -> Method | None:
        handler = self._raw(path)
        if handler is None or handler.unary_unary is None:
            return None
        service, _, name = path.lstrip("/").rpartition("/")
        try:
            descriptor = descriptor_pool.Default().FindMethodByName(f"{service}.{name}")
        except KeyError:
            return None
        return Method(
            path=path,
            request_type=message_factory.GetMessageClass(descriptor.input_type),
            response_type=message_factory.GetMessageClass(descriptor.output_type),
            raw_handler=handler,
        )
