"""Run one unary call through the interceptor-wrapped handler and return its outcome.

:class:`CallContext` is the part of ``grpc.aio.ServicerContext`` that our interceptors
and servicers use (``abort``, ``code``, ``details``, ``time_remaining``, metadata and
trailers), so the same code runs unchanged whether the bytes came over HTTP/2 gRPC or
over Connect.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, NoReturn

import grpc
import grpc.aio
import structlog

from agora_core.connect.errors import ConnectError, error_from_status
from agora_core.connect.methods import MethodTable
from agora_core.grpc.error_mapping import INTERNAL_MESSAGE

log = structlog.get_logger(__name__)

Metadata = tuple[tuple[str, str | bytes], ...]


class CallContext:
    """A servicer context for a call that arrived over HTTP (Connect or gRPC-Web)."""

    def __init__(self, metadata: Metadata, deadline: float | None) -> None:
        self._metadata = metadata
        self._deadline = deadline
        self._code: grpc.StatusCode | None = None
        self._details = ""
        self._trailing: Metadata = ()

    def invocation_metadata(self) -> Metadata:
        return self._metadata

    async def abort(
        self,
        code: grpc.StatusCode,
        details: str = "",
        trailing_metadata: Sequence[tuple[str, str | bytes]] = (),
    ) -> NoReturn:
        self._code = code
        self._details = details
        self._trailing = tuple(trailing_metadata)
        raise grpc.aio.AbortError()

    def set_code(self, code: grpc.StatusCode) -> None:
        self._code = code

    def set_details(self, details: str) -> None:
        self._details = details

    def set_trailing_metadata(self, trailing_metadata: Sequence[tuple[str, str | bytes]]) -> None:
        self._trailing = tuple(trailing_metadata)

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def details(self) -> str:
        return self._details

    def time_remaining(self) -> float | None:
        if self._deadline is None:
            return None
        return self._deadline - asyncio.get_running_loop().time()

    def error(self) -> ConnectError:
        """The error this call aborted with."""
        code = self._code or grpc.StatusCode.UNKNOWN
        return error_from_status(code, self._details, self._trailing)


async def invoke_unary(
    table: MethodTable,
    path: str,
    request: Any,
    metadata: Metadata,
    timeout_seconds: float | None,
) -> Any:
    """The response of ``path`` for ``request``; raises :class:`ConnectError` on failure.

    Runs in its own task, as grpc runs each call, so context variables the interceptors
    bind (the caller, log fields) end with the call.
    """
    loop = asyncio.get_running_loop()
    deadline = None if timeout_seconds is None else loop.time() + timeout_seconds
    context = CallContext(metadata, deadline)
    handler = await table.wrapped_handler(path, metadata)
    if handler is None or handler.unary_unary is None:
        raise ConnectError(grpc.StatusCode.UNIMPLEMENTED, f"method {path} not found")
    task = asyncio.create_task(handler.unary_unary(request, context))
    try:
        async with asyncio.timeout_at(deadline):
            # Cancelling this await (deadline, client gone) cancels the handler's task,
            # which the metrics interceptor records as DEADLINE_EXCEEDED or CANCELLED.
            return await task
    except grpc.aio.AbortError:
        raise context.error() from None
    except TimeoutError:
        raise ConnectError(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded") from None
    except Exception:
        log.exception("connect.unhandled_error", method=path)
        raise ConnectError(grpc.StatusCode.INTERNAL, INTERNAL_MESSAGE) from None
