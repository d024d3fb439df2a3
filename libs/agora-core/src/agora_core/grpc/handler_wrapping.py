"""Run an interceptor's work around a method handler, inside the handler's own task.

grpc.aio server interceptors run before the handler, in a different task, so a
context variable they set is invisible to the servicer and they never see how the
call ends. :class:`ScopeInterceptor` instead wraps the handler's behaviour in an async
context manager (its :meth:`~ScopeInterceptor.scope`), which therefore:

* runs in the task that runs the servicer (context variables propagate);
* spans the whole call, including every message of a streaming response;
* sees the exception the handler raised (and may translate it), or a cancellation.

All four handler kinds are supported; responses may be produced by an async
generator, a coroutine writing with ``context.write`` or (for completeness) a plain
function or generator.
"""

from __future__ import annotations

import abc
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, TypeAlias

import grpc
import grpc.aio

if TYPE_CHECKING:
    _ServerInterceptor: TypeAlias = grpc.aio.ServerInterceptor[Any, Any]
    Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]
    Handler: TypeAlias = grpc.RpcMethodHandler[Any, Any]
else:
    # The runtime classes are not generic; only the stubs are.
    _ServerInterceptor = grpc.aio.ServerInterceptor
    Context = grpc.aio.ServicerContext
    Handler = grpc.RpcMethodHandler

Scope: TypeAlias = Callable[[Context], AbstractAsyncContextManager[None]]
Continuation: TypeAlias = Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]]


def split_method(full_method: str) -> tuple[str, str]:
    """Split a full method name into (service, method).

    ``/agora.testing.v1.NotesService/GetNote`` → ``("agora.testing.v1.NotesService", "GetNote")``
    """
    service, _, method = full_method.lstrip("/").rpartition("/")
    return (service, method) if service else ("unknown", method or "unknown")


class ScopeInterceptor(_ServerInterceptor, abc.ABC):
    """A server interceptor whose work is an async context manager around the handler."""

    # The stubs say a handler is always found; at run time it is None for unknown methods.
    async def intercept_service(  # type: ignore[override]
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:  # unknown method: let grpc answer UNIMPLEMENTED
            return None
        details = handler_call_details

        def bound_scope(context: Context) -> AbstractAsyncContextManager[None]:
            return self.scope(details, context)

        return wrap_handler(handler, bound_scope)

    @abc.abstractmethod
    def scope(
        self, details: grpc.HandlerCallDetails, context: Context
    ) -> AbstractAsyncContextManager[None]:
        """The context manager entered before the handler runs and left when it ends."""


def wrap_handler(handler: Handler, scope: Scope) -> Handler:
    """A handler equivalent to ``handler`` whose behaviour runs inside ``scope``."""
    deserializer = handler.request_deserializer
    serializer = handler.response_serializer
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(
            _unary_response(handler.unary_unary, scope), deserializer, serializer
        )
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(
            _stream_response(handler.unary_stream, scope), deserializer, serializer
        )
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(
            _unary_response(handler.stream_unary, scope), deserializer, serializer
        )
    if handler.stream_stream is not None:
        return grpc.stream_stream_rpc_method_handler(
            _stream_response(handler.stream_stream, scope), deserializer, serializer
        )
    raise TypeError(f"method handler without a behaviour: {handler!r}")


def _unary_response(
    behaviour: Callable[[Any, Any], Any], scope: Scope
) -> Callable[[Any, Context], Awaitable[Any]]:
    async def behaviour_in_scope(request_or_iterator: Any, context: Context) -> Any:
        async with scope(context):
            result = behaviour(request_or_iterator, context)
            if inspect.isawaitable(result):
                result = await result
            return result

    return behaviour_in_scope


def _stream_response(
    behaviour: Callable[[Any, Any], Any], scope: Scope
) -> Callable[[Any, Context], AsyncIterator[Any]]:
    async def behaviour_in_scope(request_or_iterator: Any, context: Context) -> AsyncIterator[Any]:
        async with scope(context):
            result = behaviour(request_or_iterator, context)
            if hasattr(result, "__aiter__"):
                try:
                    async for response in result:
                        yield response
                finally:
                    # If grpc stops iterating early, close the servicer's generator here,
                    # in this task, rather than later from the garbage collector.
                    close = getattr(result, "aclose", None)
                    if close is not None:
                        await close()
            elif inspect.isawaitable(result):
                # A coroutine streaming through context.write() returns None at the end.
                await result
            elif result is not None:
                for response in result:
                    yield response

    return behaviour_in_scope
