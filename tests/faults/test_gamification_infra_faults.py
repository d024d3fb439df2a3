"""Infrastructure faults under load, against gamification as a real process on a
private Kafka and PostgreSQL started once for this module (``private_infra``): the
broker stopped for 30 s, the database stopped and restarted, a second replica added and then
removed. Each ends with the audit against the module's own clean pass (README.md)."""

from __future__ import annotations

import asyncio

import pytest

from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events
from agora_platform.private import PrivateInfra
from agora_platform.processes import alive

from .audit import WAIT, assert_like_clean_pass, processed
from .conftest import Rig
from .postgres_faults import kill_postgres
from .stream import Stream, interleaved

pytestmark = [pytest.mark.faults, pytest.mark.timeout(900)]

BROKER_OUTAGE_SECONDS = 30.0
"""How long the broker stays down: a deliberate fault duration (a broker restart or a
network partition), long past every client timeout (requests 15 s, sessions 10 s)."""

LOAD_TENANTS = 20
"""Tenants fed at once, each with the whole stream (1,920 events): enough work that a
fault lands mid-way (the rig polls 50 records at a time), where one stream alone is
handled in a few seconds."""

CRASH_TENANTS = 12
"""Tenants of the database crash (1,152 events): enough that the crash lands inside
(the rig checks it on the service's per-tenant counter before killing)."""

DATABASE_OUTAGE_SECONDS = 15.0
"""How long PostgreSQL stays down: long past the pool's connection timeout, so calls in
flight fail and are retried rather than merely waiting."""


async def _handled(rig: Rig, streams: tuple[Stream, ...]) -> int:
    return sum([await processed(rig.database, stream.tenant) for stream in streams])


async def _until_handled(rig: Rig, streams: tuple[Stream, ...], count: int) -> None:
    async def enough_handled() -> bool:
        return await _handled(rig, streams) >= count

    await eventually(enough_handled, timeout=WAIT)


async def _audit_all(rig: Rig, streams: tuple[Stream, ...]) -> None:
    for state in await rig.audit_all(streams):
        assert_like_clean_pass(rig.clean, state)


def _same_process_survived(rig: Rig, pid: int | None, starts: int) -> None:
    # Recovery must come from the process itself: no restart by the test.
    assert pid is not None
    assert rig.process.pid == pid, "the service was restarted"
    assert rig.process.starts == starts, "the service was restarted"
    assert alive(pid), f"the service died during the outage:\n{rig.process.tail()}"


async def _prepare(rig: Rig, infra: PrivateInfra) -> tuple[int | None, int]:
    # A scenario that failed half-way may have left a component down.
    await infra.up()
    await rig.ensure_running()
    return rig.process.pid, rig.process.starts


async def test_broker_down_30s_under_load_the_service_recovers_by_itself(
    infra_rig: Rig, private_infra: PrivateInfra
) -> None:
    rig, infra = infra_rig, private_infra
    pid, starts = await _prepare(rig, infra)
    streams = await rig.streams("broker-down", LOAD_TENANTS)
    events = interleaved(streams)
    await publish_events(rig.kafka, events)
    await _until_handled(rig, streams, len(events) // 4)
    await infra.stop_kafka()
    handled_at_stop = await _handled(rig, streams)
    assert handled_at_stop < len(events), "the fault must hit the stream mid-way"
    await asyncio.sleep(BROKER_OUTAGE_SECONDS)
    _same_process_survived(rig, pid, starts)
    await infra.start_kafka()
    await _audit_all(rig, streams)
    _same_process_survived(rig, pid, starts)
    print(f"broker stopped with {handled_at_stop}/{len(events)} events handled")


async def test_database_stopped_and_restarted_under_load_ends_like_a_clean_pass(
    infra_rig: Rig, private_infra: PrivateInfra
) -> None:
    rig, infra = infra_rig, private_infra
    pid, starts = await _prepare(rig, infra)
    streams = await rig.streams("database-down", LOAD_TENANTS)
    events = interleaved(streams)
    await publish_events(rig.kafka, events)
    await _until_handled(rig, streams, len(events) // 4)
    # Same state directory, so the same data when it comes back.
    await infra.stop_postgres()
    await asyncio.sleep(DATABASE_OUTAGE_SECONDS)
    _same_process_survived(rig, pid, starts)
    await infra.start_postgres()
    handled_at_restart = await _handled(rig, streams)
    assert handled_at_restart < len(events), "the fault must hit the stream mid-way"
    await _audit_all(rig, streams)
    _same_process_survived(rig, pid, starts)
    print(f"database back with {handled_at_restart}/{len(events)} events handled")


async def test_database_sigkilled_recovers_from_its_wal_and_ends_like_a_clean_pass(
    infra_rig: Rig, private_infra: PrivateInfra
) -> None:
    rig, infra = infra_rig, private_infra
    pid, starts = await _prepare(rig, infra)
    streams = await rig.streams("database-killed", CRASH_TENANTS)
    events = interleaved(streams)
    await publish_events(rig.kafka, events)
    await rig.wait_inside(streams, len(events))
    # A crash (no shutdown checkpoint): the next start replays the WAL. Transactions
    # committed before it must all be there, those in flight none of it.
    postmaster = await kill_postgres(infra.config.state_dir)
    await asyncio.sleep(DATABASE_OUTAGE_SECONDS / 3)
    _same_process_survived(rig, pid, starts)
    await infra.start_postgres()
    handled_at_restart = await _handled(rig, streams)
    print(f"postmaster {postmaster} killed; back with {handled_at_restart}/{len(events)} handled")
    assert handled_at_restart < len(events), "the crash hit the stream mid-way"
    await _audit_all(rig, streams)
    _same_process_survived(rig, pid, starts)


async def test_three_replicas_with_rebalances_under_load_end_like_a_clean_pass(
    infra_rig: Rig, private_infra: PrivateInfra, tmp_path_factory: pytest.TempPathFactory
) -> None:
    rig, infra = infra_rig, private_infra
    await _prepare(rig, infra)
    streams = await rig.streams("replicas", LOAD_TENANTS)
    tenants = [stream.tenant for stream in streams]
    events = interleaved(streams)
    half = len(events) // 2
    await publish_events(rig.kafka, events[:half])
    await rig.wait_inside(streams, half)
    # Rebalance 1: two more members join the group while the first is busy (three
    # replicas of one Deployment, same database, own ports).
    replicas = [rig.process.replica(tmp_path_factory.mktemp(f"faults-replica{n}")) for n in (1, 2)]
    try:
        await asyncio.gather(*(replica.start() for replica in replicas))
        # The rest arrives once all three own partitions, so work is left when they go.
        await publish_events(rig.kafka, events[half:])

        async def replicas_handled_some() -> bool:
            counts = [await replica.consumed("handled", tenants) for replica in replicas]
            return all(count > 0 for count in counts)

        await eventually(replicas_handled_some, timeout=WAIT)
        handled_at_leave = await _handled(rig, streams)
        assert handled_at_leave < len(events), "the replicas must leave under load"
        # Rebalance 2: one crashes (SIGKILL: no drain, no commit; its partitions move
        # once its session times out and their records are redelivered) ...
        await replicas[1].kill()
        # ... rebalance 3: the other leaves (SIGTERM: drain, commit, flush).
        result = await replicas[0].stop()
        assert not result.killed, f"replica not drained within its grace:\n{replicas[0].tail()}"
    except BaseException:
        for replica in replicas:
            print(f"--- replica log tail ---\n{replica.tail()}")
        raise
    finally:
        for replica in replicas:
            if replica.pid is not None:
                await replica.stop()
    # The remaining member owns every partition again and the audit (balance == ledger
    # sum over gRPC and in the database, one mark per event, each publication under
    # one id) holds for every tenant.
    await _audit_all(rig, streams)
    print(f"replicas left with {handled_at_leave}/{len(events)} events handled")
