"""Fault scenarios against notifications as a real process (issue 8): the SMTP server
down for a while, the webhook endpoint failing then down for a while, the SMTP server
down then slow with two replicas sending. Each feeds a
fresh tenant the same stream as the clean pass and ends with the audit: every email
and every webhook delivery arrived exactly once, the inbox is the clean pass's, the
delivery log shows the failed attempts followed by one success, nothing is pending."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from agora_core.testing import eventually

from .notifications_rig import (
    WAIT,
    NotificationsRig,
    assert_like_clean_pass,
    open_notifications_rig,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(900)]

CONNECTION_FAILED = 0
"""The status code of an attempt that got no answer (port closed)."""
SLOW_RELAY_SECONDS = 0.75
"""How long the slow relay takes per message: a round of six or more emails outlasts
the rig's lease (LEASE_SECONDS, one send at a time)."""


@pytest.fixture(scope="module")
async def notifications_rig(
    kafka_bootstrap: str,
    postgres_admin_dsn: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[NotificationsRig]:
    async with open_notifications_rig(kafka_bootstrap, postgres_admin_dsn, tmp_path_factory) as rig:
        yield rig


def _codes(delivery: dict[str, Any]) -> list[int]:
    return [int(attempt["status_code"]) for attempt in delivery["log"]]


async def test_smtp_down_then_up_sends_every_email_once_after_its_retries(
    notifications_rig: NotificationsRig,
) -> None:
    rig = notifications_rig
    stream = rig.stream("smtp")
    await rig.prepare(stream)
    half = len(stream.events) // 2
    early = sum(n for (_, _, position), n in rig.clean.emails.items() if position < half)
    assert early > 0

    # The relay's port is closed while the first half is handled.
    rig.smtp.stop()
    try:
        await rig.publish(stream, 0, half)

        async def each_email_failed_twice() -> bool:
            emails = await rig.deliveries(stream, "email")
            return len(emails) == early and all(
                _codes(d)[:2] == [CONNECTION_FAILED] * 2 and d["state"] == "pending" for d in emails
            )

        await eventually(each_email_failed_twice, timeout=WAIT, interval=0.25)
    finally:
        rig.smtp.start()
    await rig.publish(stream, half, len(stream.events))

    state = await rig.audit(stream)
    assert_like_clean_pass(rig.clean, state)
    for delivery in state.of("email"):
        codes = [code for _, code, _ in delivery.log]
        if delivery.position < half:
            assert len(delivery.failures) >= 2, delivery
            assert codes[:-1] == [CONNECTION_FAILED] * len(delivery.failures), delivery
        else:
            assert not delivery.failures, f"sent while SMTP was up: {delivery}"
        assert codes[-1] == 250, delivery
    assert all(not d.failures for d in state.of("webhook")), "the endpoint was up"


async def test_webhook_503_then_down_then_up_delivers_every_event_once(
    notifications_rig: NotificationsRig,
) -> None:
    rig = notifications_rig
    stream = rig.stream("webhook")
    await rig.prepare(stream)
    path = rig.path(stream)
    half = len(stream.events) // 2
    early = sum(1 for position in rig.clean.webhooks if position < half)
    assert 0 < early < len(rig.clean.webhooks)

    # First the endpoint answers 503 to the first half ...
    rig.receiver.outages[path] = 503
    await rig.publish(stream, 0, half)

    async def each_refused_twice() -> bool:
        hooks = await rig.deliveries(stream, "webhook")
        return len(hooks) == early and all(_codes(d)[:2] == [503, 503] for d in hooks)

    await eventually(each_refused_twice, timeout=WAIT, interval=0.25)
    # ... then it is down (port closed) while the second half is handled.
    await rig.receiver.stop()
    del rig.receiver.outages[path]
    try:
        await rig.publish(stream, half, len(stream.events))

        async def each_found_it_down() -> bool:
            hooks = await rig.deliveries(stream, "webhook")
            return len(hooks) == len(rig.clean.webhooks) and all(
                CONNECTION_FAILED in _codes(d) and d["state"] == "pending" for d in hooks
            )

        await eventually(each_found_it_down, timeout=WAIT, interval=0.25)
    finally:
        await rig.receiver.start()

    state = await rig.audit(stream)
    assert_like_clean_pass(rig.clean, state)
    for delivery in state.of("webhook"):
        codes = [code for _, code, _ in delivery.log]
        failed = codes[:-1]
        if delivery.position < half:
            refused = failed.index(CONNECTION_FAILED)
            assert refused >= 2, delivery
            assert set(failed[:refused]) == {503}, delivery
            assert set(failed[refused:]) == {CONNECTION_FAILED}, delivery
        else:
            assert failed, delivery
            assert set(failed) == {CONNECTION_FAILED}, delivery
        assert codes[-1] == 200, delivery
    assert all(not d.failures for d in state.of("email")), "SMTP was up"


async def test_smtp_down_then_slow_with_two_replicas_sends_every_email_once(
    notifications_rig: NotificationsRig,
) -> None:
    rig = notifications_rig
    stream = rig.stream("replicas")
    await rig.prepare(stream)
    expected = sum(rig.clean.emails.values())
    # A second replica joins the group: two delivery workers race for the same log.
    replica = rig.replica()
    await replica.start()
    rig.smtp.stop()
    try:
        await rig.publish(stream, 0, len(stream.events))

        async def each_email_failed() -> bool:
            emails = await rig.deliveries(stream, "email")
            return len(emails) == expected and all(
                CONNECTION_FAILED in _codes(d) and d["state"] == "pending" for d in emails
            )

        await eventually(each_email_failed, timeout=WAIT, interval=0.25)
        # Every email is due again within seconds, and the relay comes back slow: one
        # send at a time per worker, each round's queue outlasts a lease taken early.
        rig.smtp.mailbox.delay_seconds = SLOW_RELAY_SECONDS
        rig.smtp.start()
        state = await rig.audit(stream)
    finally:
        rig.smtp.mailbox.delay_seconds = 0.0
        if not rig.smtp.running:
            rig.smtp.start()
        stop = await replica.stop()
    assert not stop.killed, replica.tail()
    assert_like_clean_pass(rig.clean, state)
    for delivery in state.of("email"):
        codes = [code for _, code, _ in delivery.log]
        assert delivery.failures, delivery
        assert codes[-1] == 250, delivery
