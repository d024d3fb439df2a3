"""The bare ``grpc.aio`` echo server of the platform benchmark, as its own process:

    BENCH_ECHO_PORT=<port> python -m bench.platform_parts.echo_server

One generic unary method that answers the request's bytes: no interceptor, no token, no
database. It imports grpc and nothing of ours, so it starts fast on a loaded machine.
"""

from __future__ import annotations

import asyncio
import os
from typing import Final

import grpc
import grpc.aio

PORT_ENV: Final = "BENCH_ECHO_PORT"
SERVICE: Final = "bench.Echo"
METHOD: Final = f"/{SERVICE}/Echo"


def same(value: bytes) -> bytes:
    """The (de)serialiser of raw bytes."""
    return value


async def _echo(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
    return request


async def serve(port: int) -> None:
    """Serve the echo method on ``127.0.0.1:port`` until the process is stopped."""
    server = grpc.aio.server()
    handler = grpc.unary_unary_rpc_method_handler(_echo)  # bytes in, bytes out
    generic = grpc.method_handlers_generic_handler(SERVICE, {"Echo": handler})
    server.add_generic_rpc_handlers((generic,))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


def main() -> None:
    asyncio.run(serve(int(os.environ[PORT_ENV])))


if __name__ == "__main__":
    main()
