"""The like/unlike phase of ``bench/community.py``: people each like then unlike an
item over gRPC, CONCURRENCY calls in flight, ops/s and latency; beside the same state
change sent raw, one statement per call; the cores each process used meanwhile."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

from agora.community.v1 import community_pb2 as pb
from agora_core.grpc.client import bearer_metadata
from agora_core.grpc.dev_tokens import mint_dev_token
from agora_core.postgres import Database
from agora_core.testing.grpc_assertions import DEV_SECRET
from bench.platform_report import summary
from bench.processes.cpu import CpuMeter
from bench.seeds.community import TENANT

CONCURRENCY: Final = 32
WARM_UP: Final = 200
"""Untimed like/unlike pairs (other people) before a measured series: pool connections
open, code paths warm."""


def metadata(user: str) -> tuple[tuple[str, str], ...]:
    return bearer_metadata(mint_dev_token(DEV_SECRET, user, TENANT, ["learner"]))


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    began = time.perf_counter()
    await call()
    return (time.perf_counter() - began) * 1000


async def in_flight(count: int, work: Callable[[int], Awaitable[list[float]]]) -> Any:
    """``work(i)`` for every i < count, CONCURRENCY at once: ops/s and latency."""
    queue = iter(range(count))
    latencies: list[float] = []

    async def worker() -> None:
        for i in queue:
            latencies.extend(await work(i))

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    seconds = time.perf_counter() - began
    return {"ops_per_s": round(len(latencies) / seconds, 1), "latency_ms": summary(latencies)}


async def metered(meter: CpuMeter, series: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    meter.start()
    result = await series
    return {**result, "cores_used": meter.stop()}


async def over_grpc(stub: Any, likers: int, items: int, meter: CpuMeter) -> dict[str, Any]:
    """Like then unlike by ``likers`` people over gRPC (every call must change the state)."""

    def toggles(prefix: str, people: int) -> Callable[[int], Awaitable[list[float]]]:
        tokens = [metadata(f"{prefix}-{i}") for i in range(people)]

        async def like_then_unlike(i: int) -> list[float]:
            target = pb.Target(type=pb.TARGET_TYPE_KNOWLEDGE, id=f"kl-{i % items}")

            async def like() -> None:
                response = await stub.Like(pb.LikeRequest(target=target), metadata=tokens[i])
                assert response.changed

            async def unlike() -> None:
                response = await stub.Unlike(pb.UnlikeRequest(target=target), metadata=tokens[i])
                assert response.changed

            return [await timed(like), await timed(unlike)]

        return like_then_unlike

    await in_flight(min(WARM_UP, likers), toggles("u-warm", min(WARM_UP, likers)))
    return await metered(meter, in_flight(likers, toggles("u-liker", likers)))


async def raw_sql(database: Database, likers: int, items: int, meter: CpuMeter) -> dict[str, Any]:
    """The same state change as one raw statement per call (same concurrency)."""

    async def raw_toggle(i: int) -> list[float]:
        key = (TENANT, "knowledge", f"kl-{i % items}", f"raw-{i}")

        async def like() -> None:
            async with database.unit_of_work(TENANT) as uow:
                await uow.connection.execute(
                    "INSERT INTO likes AS l (tenant_id, target_type, target_id, user_id, like_id,"
                    " active, changed_at) VALUES (%s, %s, %s, %s, gen_random_uuid(), true, now())"
                    " ON CONFLICT (tenant_id, target_type, target_id, user_id)"
                    " DO UPDATE SET active = true WHERE NOT l.active",
                    key,
                )

        async def unlike() -> None:
            async with database.unit_of_work(TENANT) as uow:
                await uow.connection.execute(
                    "UPDATE likes SET active = false WHERE tenant_id = %s AND target_type = %s"
                    " AND target_id = %s AND user_id = %s AND active",
                    key,
                )

        return [await timed(like), await timed(unlike)]

    return await metered(meter, in_flight(likers, raw_toggle))
