"""Fault scenarios against gamification, the platform's busiest consumer, as a real
process: each feeds a fresh tenant the same stream as the clean pass, applies one
fault, and ends with the audit (see README.md): nothing lost, nothing doubled."""

from __future__ import annotations

import uuid

import pytest

from agora_contracts.events.domains import community, learning
from agora_core.testing.event_tap import publish_events, wait_caught_up

from .audit import assert_like_clean_pass, outbox_pending, processed
from .broker import (
    DLQ_REASON,
    PoisonRecord,
    dead_letters,
    dlq_topics,
    end_offsets,
    publish_poison,
    raw_producer,
)
from .conftest import KILL_TENANTS, Rig
from .stream import Stream, interleaved

pytestmark = [pytest.mark.faults, pytest.mark.timeout(900)]


async def test_sigkill_mid_stream_then_restart_ends_like_a_clean_pass(rig: Rig) -> None:
    await rig.ensure_running()
    streams = await rig.streams("sigkill", KILL_TENANTS)
    events = interleaved(streams)
    half = len(events) // 2
    await publish_events(rig.kafka, events[:half])
    seen = await rig.wait_inside(streams, half)
    # No drain, no offset commit, no outbox flush: records in flight are redelivered
    # and effects already written must not be applied twice.
    await rig.process.kill()
    at_kill = sum([await processed(rig.database, s.tenant) for s in streams])
    print(f"killed with {at_kill} of {half} published events handled (metric: {seen})")
    # Landed inside what was published: some committed, some still to handle.
    assert half // 4 <= at_kill < half, "the kill landed mid-stream"
    # The rest of the stream arrives while the service is down.
    await publish_events(rig.kafka, events[half:])
    await rig.process.start()
    for state in await rig.audit_all(streams):
        assert_like_clean_pass(rig.clean, state)


async def test_bulk_redelivery_ends_like_a_clean_pass(rig: Rig) -> None:
    await rig.ensure_running()
    stream = await rig.stream("redeliver")
    await publish_events(rig.kafka, stream.events)
    await rig.audit(stream)
    # The whole stream again, as a producer retrying a batch or a replay tool would.
    mine = [stream.tenant]  # other runs publish on the shared topics too
    duplicates_before = await rig.process.consumed("duplicate", mine)
    await publish_events(rig.kafka, stream.events)
    await wait_caught_up(rig.kafka, rig.group, rig.topics)
    duplicates = await rig.process.consumed("duplicate", mine) - duplicates_before
    assert duplicates == len(stream.events)
    # And again with every processed mark gone, as after their retention purge: only
    # the effects' own guards (recent events per profile, progress keys) stop a double
    # credit.
    async with rig.database.unit_of_work(stream.tenant) as uow:
        await uow.connection.execute(
            "DELETE FROM processed_events WHERE tenant_id = %s", (stream.tenant,)
        )
    await publish_events(rig.kafka, stream.events)
    assert_like_clean_pass(rig.clean, await rig.audit(stream))


OVERSIZE_BYTES = 1024 * 1024 + 4096


def _poisons(stream: Stream) -> tuple[list[PoisonRecord], dict[str, str]]:
    """Records no consumer can handle, built from a real event of the stream (with a
    fresh id each), and the DLQ reason of each (``unknown-type`` has none: it is skipped)."""
    template = next(e for e in stream.events if e.topic == learning.COMPLETIONS_TOPIC)

    def headers(**changes: str | None) -> dict[str, str]:
        base = {**template.headers, "ce_id": str(uuid.uuid4())}
        for name, value in changes.items():
            if value is None:
                base.pop(name, None)
            else:
                base[name] = value
        return base

    completions = learning.COMPLETIONS_TOPIC
    valid_value = template.value
    # Beyond the consumers' 1 MiB payload limit (compressed on the wire); its DLQ copy
    # keeps the first 256 KiB (README, "Findings" 2).
    head, tail = b'{"learner_id": "', b'"}'
    oversize = head + b"x" * (OVERSIZE_BYTES - len(head) - len(tail)) + tail
    poisons = [
        PoisonRecord("bad-json", completions, b'{"learner_id": "u-ada", ', headers()),
        PoisonRecord("schema-violation", completions, b'{"learner_id": "u-ada"}', headers()),
        PoisonRecord("missing-tenant", completions, valid_value, headers(ce_tenantid=None)),
        PoisonRecord("empty-tenant", completions, valid_value, headers(ce_tenantid="")),
        # A tenant no token can name (the envelope's tenant id pattern).
        PoisonRecord(
            "wrong-tenant", completions, valid_value, headers(ce_tenantid='acme {"$ne": 1}')
        ),
        PoisonRecord("oversize", completions, oversize, headers()),
        PoisonRecord("no-cloudevents-headers", completions, valid_value, {}),
        PoisonRecord("wrong-topic", community.LIKES_TOPIC, valid_value, headers()),
        PoisonRecord(
            "unknown-type",
            completions,
            valid_value,
            headers(ce_type="org.agora.learning.teleport.finished.v1"),
        ),
    ]
    reasons = {
        "bad-json": "invalid-payload",
        "schema-violation": "invalid-payload",
        "missing-tenant": "invalid-envelope",
        "empty-tenant": "invalid-envelope",
        "wrong-tenant": "invalid-envelope",
        "oversize": "oversize",
        "no-cloudevents-headers": "invalid-envelope",
        "wrong-topic": "wrong-topic",
    }
    return poisons, reasons


async def test_poison_records_go_to_the_dlq_and_the_rest_ends_like_a_clean_pass(
    rig: Rig,
) -> None:
    await rig.ensure_running()
    stream = await rig.stream("poison")
    poisons, reasons = _poisons(stream)
    dlq_start = await end_offsets(rig.kafka, dlq_topics(rig.topics))
    ignored_before = await rig.process.consumed("ignored")
    half = len(stream.events) // 2
    await publish_events(rig.kafka, stream.events[:half])
    async with raw_producer(rig.kafka) as producer:
        for poison in poisons:
            await publish_poison(producer, poison)
    await publish_events(rig.kafka, stream.events[half:])

    assert_like_clean_pass(rig.clean, await rig.audit(stream))
    # Every record is committed (audit), so every DLQ copy is already published.
    dead = await dead_letters(rig.kafka, dlq_start, set(reasons), rig.group)
    assert {name: copy[DLQ_REASON] for name, copy in dead.items()} == reasons
    for name, copy in dead.items():
        original = next(p for p in poisons if p.name == name)
        assert copy["topic"] == f"{original.topic}.dlq"
        assert copy["agora-dlq-topic"] == original.topic
        assert copy["agora-dlq-group"] == rig.group
        assert copy["agora-dlq-error"], f"{name}: the DLQ copy says why"
    assert dead["oversize"]["agora-dlq-truncated-from"] == str(OVERSIZE_BYTES)
    # A type this consumer does not know is skipped by design (docs/messaging.md: a
    # newer producer's type must not poison older consumers), counted, never credited.
    assert "unknown-type" not in dead
    assert await rig.process.consumed("ignored") - ignored_before >= 1


async def test_sigterm_under_load_drains_commits_and_flushes(rig: Rig) -> None:
    await rig.ensure_running()
    streams = await rig.streams("sigterm", KILL_TENANTS)
    events = interleaved(streams)
    await publish_events(rig.kafka, events)
    seen = await rig.wait_inside(streams, len(events))
    result = await rig.process.stop()
    assert not result.killed, f"no graceful exit within the grace period:\n{rig.process.tail()}"
    at_stop = sum([await processed(rig.database, s.tenant) for s in streams])
    print(f"stopped with {at_stop} of {len(events)} events handled (metric: {seen})")
    # The drain finishes the batches in hand, not the whole backlog.
    assert len(events) // 4 <= at_stop < len(events), "SIGTERM landed mid-stream"
    # Graceful: the outbox of every handled event was published before exit ...
    assert sum([await outbox_pending(rig.database, s.tenant) for s in streams]) == 0
    await rig.process.start()
    for state in await rig.audit_all(streams):
        assert_like_clean_pass(rig.clean, state)
    # ... and the offset of every handled record was committed: the restarted process
    # is handed nothing of these tenants it had already handled (their own counter:
    # other runs' redeliveries on the shared topics do not count).
    assert await rig.process.consumed("duplicate", [s.tenant for s in streams]) == 0
