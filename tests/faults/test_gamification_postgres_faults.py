"""PostgreSQL faults that hit the service's own connections, on the shared test server
(the rig's database is its own, so nothing else is touched): its backends terminated
mid-transaction, and its pool exhausted behind a held table lock. Each ends with the
audit against the clean pass (README.md)."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from agora.gamification.v1 import gamification_pb2 as gam
from agora.gamification.v1.gamification_pb2_grpc import GamificationServiceStub
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events
from agora_core.testing.grpc_assertions import caller
from agora_platform.processes import alive

from .audit import assert_like_clean_pass, processed, with_profile
from .conftest import KILL_TENANTS, POOL_MAX_SIZE, POOL_TIMEOUT_SECONDS, Rig
from .postgres_faults import table_locked, terminate_in_transaction, until_waiting
from .stream import Stream, interleaved

pytestmark = [pytest.mark.faults, pytest.mark.timeout(900)]

APPLICATION = "agora-gamification"
"""The ``application_name`` of the service's pool connections."""

TERMINATIONS = 3
"""Transactions of the service to kill before letting the stream finish."""


async def _processed(rig: Rig, streams: tuple[Stream, ...]) -> int:
    return sum([await processed(rig.database, stream.tenant) for stream in streams])


async def _audit(rig: Rig, streams: tuple[Stream, ...]) -> None:
    for state in await rig.audit_all(streams):
        assert_like_clean_pass(rig.clean, state)


async def test_connections_terminated_mid_transaction_end_like_a_clean_pass(rig: Rig) -> None:
    await rig.ensure_running()
    pid = rig.process.pid
    streams = await rig.streams("terminated", KILL_TENANTS)
    events = interleaved(streams)
    await publish_events(rig.kafka, events)
    await rig.wait_inside(streams, len(events))
    # pg_terminate_backend on the service's backends caught inside a transaction
    # (marks, effects and outbox rows written, not committed), while records flow.
    terminated = 0
    while terminated < TERMINATIONS:
        handled = await rig.handled(streams)
        assert handled < len(events), f"stream done after {terminated} terminations"
        terminated += await terminate_in_transaction(rig.dsn, APPLICATION)
        await asyncio.sleep(0.02)
    at_last = await _processed(rig, streams)
    print(f"{terminated} transactions terminated; {at_last} of {len(events)} handled by then")
    assert at_last < len(events), "the terminations landed mid-stream"
    await _audit(rig, streams)
    # The service recovered by itself: the pool replaced the dead connections.
    assert pid is not None
    assert rig.process.pid == pid, "the service was restarted"
    assert alive(pid), f"the service died:\n{rig.process.tail()}"


async def _read_profile(address: str, stream: Stream, learner: str) -> grpc.StatusCode:
    metadata = caller(("manager",), tenant=stream.tenant, subject="u-auditor")
    async with grpc.aio.insecure_channel(address) as channel:
        try:
            await GamificationServiceStub(channel).GetProfile(
                gam.GetProfileRequest(learner_id=learner), metadata=metadata, timeout=120
            )
        except grpc.aio.AioRpcError as error:
            return error.code()
    return grpc.StatusCode.OK


async def test_pool_exhausted_behind_a_held_lock_ends_like_a_clean_pass(rig: Rig) -> None:
    await rig.ensure_running()
    streams = await rig.streams("pool", KILL_TENANTS)
    events = interleaved(streams)
    await publish_events(rig.kafka, events)
    await rig.wait_inside(streams, len(events))
    # Only learners whose profile exists before the lock: a learner none of whose events
    # was handled yet is rightly NOT_FOUND, which says nothing about the pool.
    readable = await with_profile(rig.database, streams[0].tenant)
    assert readable, "no profile yet a quarter into the stream"
    reads: list[asyncio.Task[grpc.StatusCode]] = []
    async with table_locked(rig.dsn, "profiles"):
        # Every statement on profiles waits on the lock holding its connection: the
        # consumer's batch and more reads than the pool has connections.
        reads = [
            asyncio.create_task(_read_profile(rig.process.grpc_address, streams[0], learner))
            for learner in readable * (POOL_MAX_SIZE // len(readable) + 2)
        ]
        await until_waiting(rig.dsn, APPLICATION, POOL_MAX_SIZE, timeout=60)
        at_lock = await _processed(rig, streams)

        # The pool is exhausted: calls that find no connection fail once the pool's
        # timeout is past, with a status clients retry.
        async def some_refused() -> bool:
            return any(read.done() for read in reads)

        await eventually(some_refused, timeout=POOL_TIMEOUT_SECONDS * 10, interval=0.1)
        # Held past the pool's timeout, so the consumer's next batch fails for want of
        # a connection too, and must wait and retry rather than dead-letter.
        await asyncio.sleep(POOL_TIMEOUT_SECONDS * 2)
    codes = await asyncio.gather(*reads)
    print(f"pool exhausted with {at_lock} of {len(events)} handled; reads: {codes}")
    assert at_lock < len(events), "the pool was exhausted mid-stream"
    assert grpc.StatusCode.UNAVAILABLE in codes, codes
    assert set(codes) <= {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE}, codes
    await _audit(rig, streams)
