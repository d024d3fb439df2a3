"""``python -m agora_core.grpc.probe HOST:PORT [--service NAME] [--wait SECONDS]``

Asks a server's standard ``grpc.health.v1`` service whether it is SERVING; with
``--wait`` it polls until it is or the time runs out. Exit 0 when SERVING, 1 if not.
Used by the local platform scripts and handy for operators.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import grpc.aio
from grpc_health.v1 import health_pb2, health_pb2_grpc


async def check(address: str, service: str = "", timeout: float = 2.0) -> str:
    """The health status name (SERVING, NOT_SERVING, …) or UNREACHABLE."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            reply = await stub.Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
        except grpc.aio.AioRpcError as error:
            return (
                "UNREACHABLE" if error.code() == grpc.StatusCode.UNAVAILABLE else error.code().name
            )
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


async def wait_serving(address: str, service: str, wait: float) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    status = await check(address, service)
    while status != "SERVING" and loop.time() < deadline:
        await asyncio.sleep(0.25)
        status = await check(address, service)
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="gRPC health probe")
    parser.add_argument("address", help="HOST:PORT")
    parser.add_argument("--service", default="", help="service name ('' = whole server)")
    parser.add_argument("--wait", type=float, default=0.0, help="seconds to keep polling")
    args = parser.parse_args(argv)
    status = asyncio.run(wait_serving(args.address, args.service, args.wait))
    print(f"{args.address} {args.service or '(server)'}: {status}")
    return 0 if status == "SERVING" else 1


if __name__ == "__main__":
    sys.exit(main())
