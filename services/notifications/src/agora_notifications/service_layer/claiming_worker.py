"""The delivery worker on PostgreSQL: replicas claim due deliveries from one queue.

Each of ``concurrency`` sending slots claims ONE due delivery at a time (``FOR UPDATE
SKIP LOCKED``, committed before the send, so every other worker skips it) right before
sending it, so the lease always counts from the start of its send; a worker that dies
mid-send leaves the queue row to come due again when the lease ends, and another
worker retakes it (at-least-once; webhook receivers dedupe on the delivery id). The
attempt is recorded in the delivery's tenant unit of work — state, attempt log, queue
row settled or rescheduled, and ``notification.delivered``/``failed`` in the outbox —
in one transaction, and only while the claim's lease is still this worker's.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from agora_notifications.domain.deliveries import Attempt, Delivery
from agora_notifications.domain.delivery_queue import DeliveryClaim
from agora_notifications.domain.model import DeliveryState
from agora_notifications.domain.schedule import retry_delay
from agora_notifications.service_layer.delivery_events import delivered_event, failed_event
from agora_notifications.service_layer.ports import (
    ChannelSender,
    Clock,
    DeliveryClaims,
    SendResult,
    UnitOfWorkFactory,
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts, how long between them, how long a claim is leased."""

    max_attempts: int
    backoff_seconds: float
    backoff_max_seconds: float
    lease: timedelta


class ClaimingDeliveryWorker:
    """Claims and sends due deliveries; one per service process, any number of
    processes on one database."""

    def __init__(
        self,
        units: UnitOfWorkFactory,
        claims: DeliveryClaims,
        senders: Mapping[str, ChannelSender],
        *,
        clock: Clock,
        policy: RetryPolicy,
        concurrency: int,
        batch_size: int,
        poll_interval: float,
    ) -> None:
        self._units = units
        self._claims = claims
        self._senders = dict(senders)
        self._clock = clock
        self._policy = policy
        self._concurrency = concurrency
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def notify(self) -> None:
        """New work was written: skip the rest of the poll interval."""
        self._wake.set()

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="delivery-worker")

    async def stop(self) -> None:
        """Stop at once; a send in flight keeps its lease and is retried after it."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_once(self) -> int:
        """Up to ``batch_size`` attempts, ``concurrency`` at a time; how many were made."""
        owner = uuid.uuid4()
        made = 0

        async def slot() -> None:
            nonlocal made
            while made < self._batch_size and not self._stopping:
                now = self._clock.now()
                claimed = await self._claims.claim(
                    now, limit=1, lease=self._policy.lease, owner=owner
                )
                if not claimed:
                    return
                made += 1
                await self._attempt(claimed[0], now)

        await asyncio.gather(*(slot() for _ in range(self._concurrency)))
        return made

    async def _attempt(self, claim: DeliveryClaim, now: datetime) -> None:
        async with self._units(claim.tenant_id) as uow:
            delivery = await uow.deliveries.get(claim.delivery_id)
            if delivery is None or delivery.state is not DeliveryState.PENDING:
                await uow.delivery_queue.release(claim)  # cancelled or erased meanwhile
                return
        result = await self._send(delivery, now)
        if result.held_until is not None:
            await self._hold(claim, delivery, result.held_until)
            return
        await self._record(claim, delivery, result, now)

    async def _hold(self, claim: DeliveryClaim, delivery: Delivery, until: datetime) -> None:
        """Not attempted (a paused webhook subscription): the claim is released, due
        again at ``until``, and no attempt is logged."""
        async with self._units(claim.tenant_id) as uow:
            if not await uow.delivery_queue.reschedule(claim, until):
                log.warning("delivery lease lost", delivery_id=delivery.id)
                return
            await uow.deliveries.hold(delivery.id, until)

    async def _send(self, delivery: Delivery, now: datetime) -> SendResult:
        sender = self._senders.get(delivery.channel)
        if sender is None:
            return SendResult(ok=False, error="no sender for channel", permanent=True)
        try:
            return await sender.send(delivery, now)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # an adapter bug must not kill the worker
            return SendResult(ok=False, error=repr(error)[:500])

    async def _record(
        self, claim: DeliveryClaim, delivery: Delivery, result: SendResult, now: datetime
    ) -> None:
        attempts = delivery.attempts + 1
        error = result.error[:1000]
        attempt = Attempt(time=now, ok=result.ok, status_code=result.status_code, error=error)
        next_at: datetime | None = None
        if result.ok:
            state = DeliveryState.DELIVERED
            events = [] if delivery.channel == "webhook" else [delivered_event(delivery, now)]
        elif result.permanent or attempts >= self._policy.max_attempts:
            state = DeliveryState.FAILED
            events = [failed_event(delivery, attempts, error, now)]
        else:
            state = DeliveryState.PENDING
            next_at = now + retry_delay(
                attempts, self._policy.backoff_seconds, self._policy.backoff_max_seconds
            )
            events = []
        async with self._units(claim.tenant_id) as uow:
            queue = uow.delivery_queue
            kept = await (
                queue.reschedule(claim, next_at) if next_at is not None else queue.release(claim)
            )
            if not kept:
                # The lease ran out and another worker retook the delivery: it records.
                log.warning("delivery lease lost", delivery_id=delivery.id)
                return
            await uow.deliveries.record_attempt(
                delivery.id, attempt, attempts=attempts, state=state, next_attempt_at=next_at
            )
            uow.add_events(events)
        log.info(
            "delivery attempt",
            delivery_id=delivery.id,
            channel=delivery.channel,
            ok=result.ok,
            attempts=attempts,
            error=error[:200],
        )

    async def _run(self) -> None:
        while not self._stopping:
            try:
                made = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # database down: wait and retry
                log.warning("delivery round failed", error=repr(error))
                made = 0
                await asyncio.sleep(self._poll_interval * 5)
            if made == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval)
                self._wake.clear()
