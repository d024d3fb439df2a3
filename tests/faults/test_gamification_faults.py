"""Fault scenarios against gamification, the platform's busiest consumer, as a real
process: each feeds a fresh tenant the same stream as the clean pass, applies one
fault, and ends with the audit (see README.md): nothing lost, nothing doubled."""

from __future__ import annotations

import pytest

from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events

from .audit import WAIT, assert_like_clean_pass, processed
from .conftest import Rig

pytestmark = [pytest.mark.faults, pytest.mark.timeout(900)]


async def test_sigkill_mid_stream_then_restart_ends_like_a_clean_pass(rig: Rig) -> None:
    await rig.ensure_running()
    stream = rig.stream("sigkill")
    half = len(stream.events) // 2
    await publish_events(rig.kafka, stream.events[:half])

    async def some_handled() -> bool:
        return await processed(rig.database, stream.tenant) >= half // 4

    await eventually(some_handled, timeout=WAIT)
    # No drain, no offset commit, no outbox flush: records in flight are redelivered
    # and effects already written must not be applied twice.
    await rig.process.kill()
    handled_at_kill = await processed(rig.database, stream.tenant)
    assert handled_at_kill < len(stream.events)
    # The rest of the stream arrives while the service is down.
    await publish_events(rig.kafka, stream.events[half:])
    await rig.process.start()
    assert_like_clean_pass(rig.clean, await rig.audit(stream))
