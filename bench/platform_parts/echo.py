"""The gRPC baseline: a bare ``grpc.aio`` echo server in its own process, and the
closed-loop caller that measures requests/s against it and against the platform's reads
with the same concurrency, in the same run.

    python -m bench.platform_parts.echo_server      (port in ``BENCH_ECHO_PORT``)

The server has no interceptor, no authentication, no database: one generic unary
method that answers the request's bytes. What the platform's reads reach beside it is
the cost of being a service (tokens, interceptors, SQL, serialisation), on the same
machine and under the same load.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import grpc
import grpc.aio

from agora_core.ports import free_port
from agora_platform.processes import log_tail, spawn, terminate
from bench import platform_report
from bench.platform_parts.echo_server import METHOD, PORT_ENV, same

READY_SECONDS: Final = 180.0
"""How long the echo process may take to answer (imports on a loaded machine)."""


@dataclass
class EchoProcess:
    """The running echo server: its address and pid."""

    address: str
    pid: int

    @staticmethod
    async def start(state_dir: Path) -> EchoProcess:
        port = free_port()
        pid = spawn(
            Path(sys.executable),
            "bench.platform_parts.echo_server",
            {**os.environ, PORT_ENV: str(port)},
            state_dir / "logs" / "echo.log",
            state_dir / "echo.pid",
        )
        echo = EchoProcess(f"127.0.0.1:{port}", pid)
        async with grpc.aio.insecure_channel(echo.address) as channel:
            try:
                await asyncio.wait_for(channel.channel_ready(), READY_SECONDS)
            except TimeoutError:
                log = log_tail(state_dir / "logs" / "echo.log")
                await echo.stop()
                raise RuntimeError(f"the echo server did not answer: {log}") from None
        return echo

    async def stop(self) -> None:
        await terminate(self.pid, 5.0)

    def caller(self, channel: grpc.aio.Channel, payload: bytes) -> Callable[[], Awaitable[Any]]:
        """One echo call of ``payload`` on ``channel``, as a zero-argument coroutine."""
        echo = channel.unary_unary(METHOD, same, same)
        return lambda: echo(payload)


async def closed_loop(
    call: Callable[[int], Awaitable[Any]], concurrency: int, seconds: float
) -> dict[str, Any]:
    """``concurrency`` callers, each making ``call(n)`` after the previous answer, for
    ``seconds``: requests answered per second, their latency, the errors."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    counter = iter(range(1 << 62))
    deadline = time.perf_counter() + seconds

    async def caller() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                await call(next(counter))
            except grpc.aio.AioRpcError as error:
                errors[error.code().name] = errors.get(error.code().name, 0) + 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)

    began = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    return {
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "per_s": round(len(latencies) / elapsed, 1),
        "ms": platform_report.summary(latencies),
        "errors": errors,
    }
