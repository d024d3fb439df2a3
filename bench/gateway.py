"""Connect JSON reads beside the same read over native gRPC, in the same run.

The catalog service runs as its own process (``python -m agora_catalog``) with its
Connect endpoint on; this process is the client. Each round sends the same read —
``ListThemes`` of a tenant with 20 themes — for a fixed time from ``--clients``
concurrent callers over: native gRPC (the baseline), Connect JSON over HTTP/1.1,
Connect JSON over HTTP/2 (h2c) and Connect binary over HTTP/1.1. Rounds alternate so a
busy shared machine hurts every transport alike; the best round of each is reported.
Goal (issue 20): Connect JSON ≥ 0.5x native gRPC calls/s.

    python -m bench.gateway [--quick | --smoke] [--clients N] [--seconds S] [--rounds N]

Needs the test environment (``make infra-up`` or ``tools/bench.sh``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import grpc
import httpx

from agora.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from agora_core.grpc.dev_tokens import mint_dev_token
from agora_core.ports import free_port
from agora_core.testing.postgres import create_test_database, drop_test_database, ensure_test_role
from bench import SMOKE_HELP, report_stem, reports_dir
from bench.gateway_report import write_png

SECRET = "bench-gateway-dev-secret-of-at-least-32-bytes"  # noqa: S105 - a local dev token
LIST_THEMES = "/agora.catalog.v1.CatalogService/ListThemes"
THEMES = 20


def start_catalog(kafka: str, postgres_dsn: str) -> tuple[subprocess.Popen[bytes], dict[str, int]]:
    ports = {"grpc": free_port(), "http": free_port(), "connect": free_port()}
    prefix = "AGORA_CATALOG_"
    env = {
        **os.environ,
        f"{prefix}KAFKA_BOOTSTRAP_SERVERS": kafka,
        f"{prefix}POSTGRES_DSN": postgres_dsn,
        f"{prefix}POSTGRES_MIGRATE_ON_START": "true",
        f"{prefix}GRPC_PORT": str(ports["grpc"]),
        f"{prefix}HTTP_PORT": str(ports["http"]),
        f"{prefix}CONNECT_ENABLED": "true",
        f"{prefix}CONNECT_PORT": str(ports["connect"]),
        f"{prefix}DEV_MODE": "true",
        f"{prefix}JWT_HS256_SECRET": SECRET,
        f"{prefix}LOG_LEVEL": "WARNING",
        f"{prefix}CONSUMER_GROUP": f"agora-catalog-gateway-{uuid.uuid4().hex[:8]}",
    }
    process = subprocess.Popen([sys.executable, "-m", "agora_catalog"], env=env)
    return process, ports


async def wait_ready(http_port: int, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            if process.poll() is not None:
                raise RuntimeError(f"catalog exited with {process.returncode}")
            try:
                if (await client.get(f"http://127.0.0.1:{http_port}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("catalog not ready after 60 s")


Call = Callable[[], Awaitable[None]]


async def measure(call: Call, clients: int, seconds: float) -> dict[str, float]:
    """Calls/s and latency percentiles of ``clients`` callers looping for ``seconds``."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def caller() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "calls_per_s": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "calls": float(len(latencies)),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    kafka = os.environ.get("AGORA_TEST_KAFKA", "127.0.0.1:29092")
    admin_dsn = os.environ.get(
        "AGORA_TEST_POSTGRES_DSN",
        "postgresql://postgres:agora-local-postgres@127.0.0.1:25432/postgres",
    )
    # The catalog on a database of its own (dropped at the end), as in the tests.
    await ensure_test_role(admin_dsn)
    database, dsn = await create_test_database(admin_dsn, "bench_gateway")
    process, ports = start_catalog(kafka, dsn)
    try:
        await wait_ready(ports["http"], process)
        tenant = f"bench-{uuid.uuid4().hex[:8]}"
        token = mint_dev_token(SECRET, "bench-admin", tenant, ["admin"])
        metadata = (("authorization", f"Bearer {token}"),)
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{ports['grpc']}")
        stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        for index in range(THEMES):
            await stub.UpsertTheme(
                catalog_pb2.UpsertThemeRequest(theme_id=f"theme-{index}", name=f"Theme {index}"),
                metadata=metadata,
            )
        url = f"http://127.0.0.1:{ports['connect']}{LIST_THEMES}"
        headers = {"authorization": f"Bearer {token}", "connect-protocol-version": "1"}
        limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
        # aiohttp (C HTTP parser) for HTTP/1.1: httpx's own overhead would be measured
        # instead of the server's; httpx for h2c, which aiohttp does not speak.
        http1 = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.clients))
        http2 = httpx.AsyncClient(http1=False, http2=True, limits=limits, timeout=30)
        binary_request = catalog_pb2.ListThemesRequest().SerializeToString()

        async def over_grpc() -> None:
            response = await stub.ListThemes(catalog_pb2.ListThemesRequest(), metadata=metadata)
            assert len(response.themes) == THEMES

        def over_connect_h1(client: aiohttp.ClientSession, encoding: str) -> Call:
            content_type = "application/json" if encoding == "json" else "application/proto"
            body = b"{}" if encoding == "json" else binary_request

            async def call() -> None:
                async with client.post(
                    url, data=body, headers={**headers, "content-type": content_type}
                ) as reply:
                    reply.raise_for_status()
                    content = await reply.read()
                if encoding == "json":
                    assert len(json.loads(content)["themes"]) == THEMES
                else:
                    assert len(catalog_pb2.ListThemesResponse.FromString(content).themes)

            return call

        def over_connect(client: httpx.AsyncClient, encoding: str) -> Call:
            content_type = "application/json" if encoding == "json" else "application/proto"
            body = b"{}" if encoding == "json" else binary_request

            async def call() -> None:
                reply = await client.post(
                    url, content=body, headers={**headers, "content-type": content_type}
                )
                reply.raise_for_status()
                if encoding == "json":
                    assert len(reply.json()["themes"]) == THEMES
                else:
                    assert len(catalog_pb2.ListThemesResponse.FromString(reply.content).themes)

            return call

        transports: dict[str, Call] = {
            "native gRPC": over_grpc,
            "Connect JSON, HTTP/1.1": over_connect_h1(http1, "json"),
            "Connect JSON, HTTP/2": over_connect(http2, "json"),
            "Connect binary, HTTP/1.1": over_connect_h1(http1, "proto"),
        }
        for call in transports.values():  # warm connections and caches
            await measure(call, args.clients, min(0.5, args.seconds))
        rounds: dict[str, list[dict[str, float]]] = {name: [] for name in transports}
        for _ in range(args.rounds):
            for name, call in transports.items():
                rounds[name].append(await measure(call, args.clients, args.seconds))
        await channel.close(None)
        await http1.close()
        await http2.aclose()
    finally:
        process.terminate()
        process.wait(timeout=30)
        await drop_test_database(admin_dsn, database)
    best = {name: max(runs, key=lambda r: r["calls_per_s"]) for name, runs in rounds.items()}
    baseline = best["native gRPC"]["calls_per_s"]
    return {
        "benchmark": "gateway",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "quick": args.quick,
        "smoke": args.smoke,
        "read": f"catalog ListThemes ({THEMES} themes), service on PostgreSQL, own process",
        "clients": args.clients,
        "seconds_per_round": args.seconds,
        "rounds": args.rounds,
        "load_average_1m": os.getloadavg()[0],
        "cpus": os.cpu_count(),
        "goal": "Connect JSON calls/s >= 0.5 x native gRPC",
        "transports": {
            name: {**figures, "ratio_to_grpc": figures["calls_per_s"] / baseline}
            for name, figures in best.items()
        },
        "all_rounds": rounds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round of 2 s per transport")
    parser.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args()
    if args.smoke:
        args.clients = min(args.clients, 2)
    args.seconds = args.seconds or (0.2 if args.smoke else 2.0 if args.quick else 10.0)
    args.rounds = args.rounds or (1 if args.quick or args.smoke else 3)
    report = asyncio.run(run(args))
    stem = report_stem("gateway", smoke=args.smoke, quick=args.quick)
    path = reports_dir() / f"{stem}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n")
    write_png(report, path.with_suffix(".png"))
    print(f"{'transport':<26} {'calls/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'x gRPC':>7}")
    for name, row in report["transports"].items():
        print(
            f"{name:<26} {row['calls_per_s']:>9.0f} {row['p50_ms']:>8.2f} "
            f"{row['p99_ms']:>8.2f} {row['ratio_to_grpc']:>7.2f}"
        )
    print(f"load average {report['load_average_1m']:.1f}; report {path}")


if __name__ == "__main__":
    main()
