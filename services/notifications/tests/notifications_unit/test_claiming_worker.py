"""The claiming delivery worker's decisions over the fakes: delivered, retried with
backoff then failed, permanent failure, the events each settles with, a cancelled
delivery dropped from the queue unsent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agora_notifications.domain.deliveries import Delivery, EmailContent
from agora_notifications.domain.model import DeliveryState
from agora_notifications.service_layer.claiming_worker import ClaimingDeliveryWorker, RetryPolicy
from agora_notifications.service_layer.ports import SendResult

from .fakes import FakeClaims, FakeStore

AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = AT

    def now(self) -> datetime:
        return self.at


class ScriptedSender:
    """Answers each delivery with its scripted results, in order."""

    def __init__(self, script: dict[str, list[SendResult]]) -> None:
        self.script = script
        self.sent: list[str] = []

    async def send(self, delivery: Delivery, now: datetime) -> SendResult:
        self.sent.append(delivery.id)
        return self.script[delivery.id].pop(0)


def _email(did: str, state: DeliveryState = DeliveryState.PENDING) -> Delivery:
    return Delivery(
        id=did,
        tenant_id="t-1",
        channel="email",
        state=state,
        create_time=AT,
        recipient_id="u-1",
        notification_id=did,
        category="mention",
        email=EmailContent("a@b.c", "s", "t", "<p>t</p>", "u"),
    )


async def _worker(store: FakeStore, sender: ScriptedSender, clock: Clock) -> ClaimingDeliveryWorker:
    return ClaimingDeliveryWorker(
        store,
        FakeClaims(store),
        {"email": sender},
        clock=clock,
        policy=RetryPolicy(
            max_attempts=2, backoff_seconds=60, backoff_max_seconds=60, lease=timedelta(minutes=5)
        ),
        concurrency=2,
        batch_size=10,
        poll_interval=0.01,
    )


async def test_each_outcome_settles_the_delivery_and_its_queue_row() -> None:
    store = FakeStore()
    gone = _email("gone", DeliveryState.CANCELLED)
    rows = [_email("ok"), _email("flaky"), _email("refused"), gone]
    async with store("t-1") as uow:
        for row in rows:
            await uow.deliveries.add_once(row)
        await uow.delivery_queue.enqueue("t-1", [(r.id, AT) for r in rows])
    sender = ScriptedSender(
        {
            "ok": [SendResult(ok=True, status_code=250)],
            "flaky": [SendResult(ok=False, error="451"), SendResult(ok=False, error="451")],
            "refused": [SendResult(ok=False, status_code=550, error="550", permanent=True)],
        }
    )
    clock = Clock()
    worker = await _worker(store, sender, clock)

    assert await worker.run_once() == 4
    assert sorted(sender.sent) == ["flaky", "ok", "refused"], "a cancelled one is not sent"
    saved = store.deliveries["t-1"]
    assert saved["ok"].state is DeliveryState.DELIVERED
    assert saved["refused"].state is DeliveryState.FAILED
    assert saved["flaky"].state is DeliveryState.PENDING
    assert list(store.queue.due) == [("t-1", "flaky")]
    retry_at = store.queue.due[("t-1", "flaky")]
    assert AT < retry_at <= AT + timedelta(seconds=60), "backoff (with jitter), capped"
    assert await worker.run_once() == 0, "the retry is not due yet"

    clock.at += timedelta(seconds=60)
    assert await worker.run_once() == 1
    flaky = store.deliveries["t-1"]["flaky"]
    assert flaky.state is DeliveryState.FAILED
    assert flaky.attempts == 2
    assert [a.error for a in flaky.log] == ["451", "451"]
    assert store.queue.due == {}
    assert sorted((e.key, e.headers["ce_type"]) for e in store.events) == [
        ("u-1", "org.agora.notifications.notification.delivered.v1"),
        ("u-1", "org.agora.notifications.notification.failed.v1"),
        ("u-1", "org.agora.notifications.notification.failed.v1"),
    ]
    assert sorted(e.headers["ce_subject"] for e in store.events) == ["flaky", "ok", "refused"]


async def test_a_held_delivery_is_due_again_at_its_hold_unattempted() -> None:
    store = FakeStore()
    async with store("t-1") as uow:
        await uow.deliveries.add_once(_email("paused"))
        await uow.delivery_queue.enqueue("t-1", [("paused", AT)])
    until = AT + timedelta(minutes=10)
    sender = ScriptedSender(
        {
            "paused": [
                SendResult(ok=False, error="subscription paused", held_until=until),
                SendResult(ok=True, status_code=204),
            ]
        }
    )
    clock = Clock()
    worker = await _worker(store, sender, clock)

    assert await worker.run_once() == 1
    held = store.deliveries["t-1"]["paused"]
    assert held.state is DeliveryState.PENDING
    assert (held.attempts, held.log, held.next_attempt_at) == (0, (), until), "no attempt logged"
    assert store.queue.due == {("t-1", "paused"): until}
    assert ("t-1", "paused") not in store.queue.owner, "the claim is released"
    assert store.events == []
    clock.at = until - timedelta(seconds=1)
    assert await worker.run_once() == 0, "not due before the hold ends"

    clock.at = until
    assert await worker.run_once() == 1
    sent = store.deliveries["t-1"]["paused"]
    assert (sent.state, sent.attempts) == (DeliveryState.DELIVERED, 1)
    assert store.queue.due == {}
