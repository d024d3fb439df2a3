"""The leaderboard half of ``bench/gamification.py`` (and the board seeding the
platform benchmark shares): a board of N learners loaded with ``unnest`` inserts, then
top-10 and "around me" latency through the real gRPC server beside the same SQL run
directly on the same board, every answer checked against the board sorted here."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import psycopg

from agora.gamification.v1 import gamification_pb2 as pb
from agora.gamification.v1 import gamification_pb2_grpc
from agora_core.postgres import Database
from agora_core.testing.grpc_assertions import caller
from agora_core.testing.service_harness import channel_to
from agora_gamification.adapters.postgres.board_reads import PostgresBoardReads
from agora_gamification.adapters.postgres.boards import BAND_BITS
from agora_gamification.domain.boards import BoardRead, Placement
from agora_gamification.domain.settings import DEFAULT_LEVELS

CHUNK: Final = 50_000
NEIGHBOURS: Final = 5
_PROFILES: Final = """
INSERT INTO profiles (tenant_id, learner_id, version, balance, level, streak_current,
    streak_longest, streak_days, streak_carried, caps, periods, period_times,
    badge_progress, badges, recent_events)
SELECT %(t)s, l, 1, p, lv, 0, 0, '{}', 0, '{}', jsonb_build_object('all', p),
       jsonb_build_object('all', at), '{}', '{}', '{}'
FROM unnest(%(learners)s::text[], %(points)s::bigint[], %(levels)s::int[], %(iso)s::text[])
    AS s(l, p, lv, at)
"""
_LEDGER: Final = """
INSERT INTO ledger (tenant_id, entry_id, learner_id, points, balance, rule_id, rule_version,
    source_event_id, source_event_type, awarded_at)
SELECT %(t)s, 'seed-' || l, l, p, p, 'seed', 1, 'seed-' || l, 'seed', at
FROM unnest(%(learners)s::text[], %(points)s::bigint[], %(times)s::timestamptz[]) AS s(l, p, at)
"""
_BOARD: Final = """
INSERT INTO board_entries (tenant_id, board, period, learner_id, points, reached_at, public)
SELECT %(t)s, 'tenant', 'all', l, p, at, true
FROM unnest(%(learners)s::text[], %(points)s::bigint[], %(times)s::timestamptz[]) AS s(l, p, at)
"""

_COUNTS: Final = """
INSERT INTO board_counts (tenant_id, board, period, points, entries)
SELECT tenant_id, board, period, points, count(*) FROM board_entries
WHERE tenant_id = %(t)s AND board = 'tenant' AND period = 'all' AND public
GROUP BY tenant_id, board, period, points
"""
_BANDS: Final = f"""
INSERT INTO board_bands (tenant_id, board, period, band, entries)
SELECT tenant_id, board, period, points >> {BAND_BITS}, sum(entries) FROM board_counts
WHERE tenant_id = %(t)s GROUP BY tenant_id, board, period, points >> {BAND_BITS}
"""  # noqa: S608 - constants only


@dataclass(frozen=True)
class Seeded:
    """A learner placed on the tenant's all-time board."""

    learner_id: str
    points: int
    reached_at: dt.datetime

    def key(self) -> tuple[int, dt.datetime, str]:
        """Board order: more points, then earlier, then learner id."""
        return (-self.points, self.reached_at, self.learner_id)


def seeded_scores(learners: int, *, prefix: str = "u") -> list[Seeded]:
    """``learners`` all-time scores: points uniform in 0..4999 (about learners/5000 per
    value: many ties), attainment times spread over a month; ids ``<prefix><n>``."""
    rng = random.Random(11)  # noqa: S311 - reproducible load, not security
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    return [
        Seeded(
            f"{prefix}{n}",
            rng.randrange(5000),
            start + dt.timedelta(seconds=rng.randrange(2_592_000)),
        )
        for n in range(learners)
    ]


def _level(points: int) -> int:
    return max(t.level for t in DEFAULT_LEVELS if t.min_points <= points)


async def seed(database: Database, dsn: str, tenant: str, scores: Sequence[Seeded]) -> float:
    """Profiles, one ledger entry each (balance == ledger sum) and board entries, in
    ``unnest`` inserts of :data:`CHUNK` learners, and the board's counts per points
    value (what the service's writes keep); then ``VACUUM ANALYZE`` (index-only
    scans need the visibility map). Returns learners loaded per second."""
    began = time.perf_counter()
    for at in range(0, len(scores), CHUNK):
        part = scores[at : at + CHUNK]
        params: dict[str, Any] = {
            "t": tenant,
            "learners": [s.learner_id for s in part],
            "points": [s.points for s in part],
            "levels": [_level(s.points) for s in part],
            "iso": [s.reached_at.isoformat() for s in part],
            "times": [s.reached_at for s in part],
        }
        async with database.unit_of_work(tenant) as uow:
            for statement in (_PROFILES, _LEDGER, _BOARD):
                await uow.connection.execute(statement, params)
    async with database.unit_of_work(tenant) as uow:
        await uow.connection.execute(_COUNTS, {"t": tenant})
        await uow.connection.execute(_BANDS, {"t": tenant})
    rate = len(scores) / (time.perf_counter() - began)
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as connection:
        for table in ("profiles", "ledger", "board_entries", "board_counts", "board_bands"):
            await connection.execute(f"VACUUM (ANALYZE) {table}")
    return rate


def percentile(samples: Sequence[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def timed_ms(calls: int, call: Callable[[int], Awaitable[bool]]) -> tuple[list[float], int]:
    """Latencies of ``calls`` sequential calls, and how many answered exactly."""
    samples, exact = [], 0
    for i in range(calls):
        began = time.perf_counter()
        exact += await call(i)
        samples.append((time.perf_counter() - began) * 1000)
    return samples, exact


async def latency(
    runtime: Any, database: Database, tenant: str, scores: Sequence[Seeded], calls: int
) -> dict[str, Any]:
    """p50/p99 of top-10 and around-me over gRPC and as direct SQL, answers checked."""
    board = sorted(scores, key=Seeded.key)
    top_expected = [(s.learner_id, s.points, i + 1) for i, s in enumerate(board[:10])]
    count = len(board)

    def window(rank: int) -> list[tuple[str, int, int]]:
        low = max(1, rank - NEIGHBOURS)
        return [
            (s.learner_id, s.points, low + i)
            for i, s in enumerate(board[low - 1 : rank + NEIGHBOURS])
        ]

    def position(i: int) -> int:
        return (i * 7919) % count  # spread over the whole board, reproducible

    async with channel_to(runtime) as channel:
        stub = gamification_pb2_grpc.GamificationServiceStub(channel)

        async def grpc_top(i: int) -> bool:
            response = await stub.GetLeaderboard(
                pb.GetLeaderboardRequest(
                    scope=pb.BOARD_SCOPE_TENANT,
                    period=pb.PERIOD_ALL_TIME,
                    period_key="all",
                    top_n=10,
                ),
                metadata=caller(tenant=tenant, subject="bench-observer"),
            )
            got = [(e.learner_id, e.points, e.rank) for e in response.top]
            return got == top_expected and response.ranked_count == count

        async def grpc_around(i: int) -> bool:
            me = board[position(i)]
            response = await stub.GetLeaderboard(
                pb.GetLeaderboardRequest(
                    scope=pb.BOARD_SCOPE_TENANT,
                    period=pb.PERIOD_ALL_TIME,
                    period_key="all",
                    top_n=1,
                    around_me=True,
                    neighbours=NEIGHBOURS,
                ),
                metadata=caller(tenant=tenant, subject=me.learner_id),
            )
            got = [(e.learner_id, e.points, e.rank) for e in response.around_me]
            return response.me.rank == position(i) + 1 and got == window(position(i) + 1)

        # The baselines are the service's own statements (one message) sent directly:
        # the ratio is what the gRPC hop, the token and the use case add.
        reads = PostgresBoardReads(database)

        async def sql_top(i: int) -> bool:
            found = await reads.snapshot(
                tenant, BoardRead("tenant", "all", "bench-observer", 10, 0)
            )
            top = [(p.learner_id, p.points, n + 1) for n, p in enumerate(found.top)]
            return top == top_expected and found.ranked_count == count

        async def sql_around(i: int) -> bool:
            me = board[position(i)]
            found = await reads.snapshot(
                tenant, BoardRead("tenant", "all", me.learner_id, 1, NEIGHBOURS)
            )
            assert found.mine is not None
            mine = Placement(me.learner_id, found.mine.points, found.mine.reached_at)
            ids = [p.learner_id for p in [*reversed(found.above), mine, *found.below]]
            return found.rank == position(i) + 1 and ids == [w[0] for w in window(found.rank)]

        results: dict[str, Any] = {}
        for name, call in (
            ("grpc_top10", grpc_top),
            ("grpc_around_me", grpc_around),
            ("sql_top10", sql_top),
            ("sql_around_me", sql_around),
        ):
            await timed_ms(min(20, calls), call)  # warm-up: connections, caches
            samples, exact = await timed_ms(calls, call)
            results[f"{name}_p50_ms"] = round(percentile(samples, 50), 2)
            results[f"{name}_p99_ms"] = round(percentile(samples, 99), 2)
            results[f"{name}_exact"] = f"{exact}/{calls}"
            results[f"{name}_samples_ms"] = [round(s, 3) for s in samples]
    return results
