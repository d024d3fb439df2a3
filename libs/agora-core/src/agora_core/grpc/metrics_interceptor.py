"""Count and time every gRPC call by service, method and final status code."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc

from agora_core.grpc.handler_wrapping import Context, ScopeInterceptor, split_method
from agora_core.grpc.metrics import SERVER_HANDLED_TOTAL, SERVER_HANDLING_SECONDS


class MetricsInterceptor(ScopeInterceptor):
    """Records ``agora_grpc_server_handling_seconds`` and ``agora_grpc_server_handled_total``.

    Install it first (outermost) so the code it records is the one the client sees,
    after error mapping.
    """

    @asynccontextmanager
    async def scope(
        self, details: grpc.HandlerCallDetails, context: Context
    ) -> AsyncIterator[None]:
        service, method = split_method(details.method)
        started = time.perf_counter()
        code = grpc.StatusCode.UNKNOWN  # what grpc answers for an escaped exception
        try:
            yield
            code = context.code() or grpc.StatusCode.OK
        except grpc.aio.AbortError:
            code = context.code() or grpc.StatusCode.UNKNOWN
            raise
        except asyncio.CancelledError:
            # grpc cancels the handler's task when the deadline passes or the client goes.
            remaining = context.time_remaining()
            expired = remaining is not None and remaining <= 0
            code = grpc.StatusCode.DEADLINE_EXCEEDED if expired else grpc.StatusCode.CANCELLED
            raise
        except GeneratorExit:  # a response stream closed before its end
            code = grpc.StatusCode.CANCELLED
            raise
        finally:
            labels = (service, method, code.name)
            SERVER_HANDLING_SECONDS.labels(*labels).observe(time.perf_counter() - started)
            SERVER_HANDLED_TOTAL.labels(*labels).inc()
