"""The delivery worker: sends due email and webhook deliveries, with leases and retries.

Each round finds up to ``batch_size`` due deliveries, then leases each one (a
conditional ``find_one_and_update`` with the round's owner token) once a sending slot
is free, right before its send, so two replicas never send the same delivery at once
and the lease always counts from the start of the send; a process that dies mid-send
leaves the lease to expire and another round sends again (at-least-once; webhook
receivers dedupe on ``ce-id``). A failed attempt is retried with exponential
backoff until ``max_attempts``, then the delivery is ``failed`` (visible over gRPC)
and ``notification.failed`` is published from the same document write.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import structlog
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from agora_contracts.events.domains.notifications import (
    NotificationDeliveredV1,
    NotificationFailedV1,
)
from agora_core.messaging.events import OutgoingEvent
from agora_core.outbox import OutboxHint, with_outbox
from agora_core.storage import Document
from agora_notifications.adapters.collections import DELIVERIES
from agora_notifications.domain.deliveries import Delivery, EmailContent, WebhookContent
from agora_notifications.domain.model import DeliveryState
from agora_notifications.domain.schedule import retry_delay
from agora_notifications.service_layer.notifier import SOURCE
from agora_notifications.service_layer.ports import (
    ChannelSender,
    Clock,
    RelayWaker,
    SendResult,
)

log = structlog.get_logger(__name__)

LEASE_UNTIL = "lease_until"
LEASE_OWNER = "lease_owner"


def _due(now: datetime) -> dict[str, Any]:
    """Pending, its time come, and no live lease on it."""
    return {
        "state": DeliveryState.PENDING.value,
        "next_attempt_at": {"$lte": now},
        "$or": [{LEASE_UNTIL: {"$exists": False}}, {LEASE_UNTIL: {"$lt": now}}],
    }


def delivery_from_document(document: Document) -> Delivery:
    """The typed delivery the senders read, from its stored document."""
    email, webhook = document.get("email"), document.get("webhook")
    return Delivery(
        id=document["_id"],
        tenant_id=document["tenant_id"],
        channel=document["channel"],
        state=DeliveryState(document["state"]),
        create_time=document.get("created_at") or datetime.min,
        recipient_id=document.get("recipient_id", ""),
        subscription_id=document.get("subscription_id", ""),
        notification_id=document.get("notification_id", ""),
        event_type=document.get("event_type", ""),
        category=document.get("category", ""),
        source_event_id=document.get("source_event_id"),
        attempts=int(document.get("attempts", 0)),
        email=EmailContent(**email) if email else None,
        webhook=WebhookContent(webhook["body"], dict(webhook["headers"])) if webhook else None,
    )


class DeliveryWorker:
    """Claims and sends due deliveries; one per service process."""

    def __init__(
        self,
        database: AsyncDatabase[Document],
        senders: Mapping[str, ChannelSender],
        *,
        clock: Clock,
        relay: RelayWaker,
        batch_size: int,
        concurrency: int,
        lease: timedelta,
        max_attempts: int,
        backoff_seconds: float,
        backoff_max_seconds: float,
        poll_interval: float,
    ) -> None:
        self._deliveries = database[DELIVERIES]
        self._senders = dict(senders)
        self._clock = clock
        self._relay = relay
        self._batch_size = batch_size
        self._semaphore = asyncio.Semaphore(concurrency)
        self._lease = lease
        self._max_attempts = max_attempts
        self._backoff = (backoff_seconds, backoff_max_seconds)
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
        """One round at the clock's current time; returns how many attempts were made."""
        now = self._clock.now()
        candidates = await self._deliveries.find(
            _due(now), {"_id": 1}, limit=self._batch_size, sort=[("next_attempt_at", 1)]
        ).to_list()
        if not candidates:
            return 0
        token = uuid.uuid4().hex
        made = await asyncio.gather(
            *(self._claim_and_attempt(candidate["_id"], token) for candidate in candidates)
        )
        return sum(made)

    async def _claim_and_attempt(self, delivery_id: str, token: str) -> int:
        """Lease the delivery once a sending slot is free, send it, record the attempt.

        Leasing the whole round up front let a delivery queued behind ``concurrency``
        slow sends start its send after its lease had run out, while another replica
        had claimed and sent it too (an email sent twice; found by tests/faults).
        """
        async with self._semaphore:
            now = self._clock.now()
            delivery = await self._claim(delivery_id, token, now)
            if delivery is None:
                return 0  # another worker holds it, or it is no longer due
            result = await self._send(delivery, now)
        await self._record(delivery, result, now)
        return 1

    async def _claim(self, delivery_id: str, token: str, now: datetime) -> Document | None:
        """Lease one delivery with a conditional update on its ``_id`` that only matches
        while it is still due and unleased, so two workers never both win it. By ``_id``
        rather than one ``update_many`` over ``_id: {$in: …}``: FerretDB serves an
        ``_id`` equality from its index but scans the collection for ``$in``."""
        return await self._deliveries.find_one_and_update(
            {"_id": delivery_id, **_due(now)},
            {"$set": {LEASE_UNTIL: now + self._lease, LEASE_OWNER: token}},
            return_document=ReturnDocument.AFTER,
        )

    async def _send(self, delivery: Document, now: datetime) -> SendResult:
        sender = self._senders.get(delivery["channel"])
        if sender is None:
            return SendResult(ok=False, error="no sender for channel", permanent=True)
        try:
            return await sender.send(delivery_from_document(delivery), now)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # an adapter bug must not kill the worker
            return SendResult(ok=False, error=repr(error)[:500])

    async def _record(self, delivery: Document, result: SendResult, now: datetime) -> None:
        if result.held_until is not None:
            await self._hold(delivery, result.held_until)
            return
        attempts = int(delivery.get("attempts", 0)) + 1
        entry = {
            "time": now,
            "ok": result.ok,
            "status_code": result.status_code,
            "error": result.error[:1000],
        }
        update: dict[str, Any] = {
            "$set": {"attempts": attempts, "last_error": result.error[:1000]},
            "$unset": {LEASE_UNTIL: "", LEASE_OWNER: ""},
            "$push": {"log": entry},
        }
        events: list[OutgoingEvent] = []
        if result.ok:
            update["$set"].update(state=DeliveryState.DELIVERED.value, delivered_at=now)
            if delivery["channel"] != "webhook":
                events.append(self._delivered_event(delivery, now))
        elif result.permanent or attempts >= self._max_attempts:
            update["$set"].update(state=DeliveryState.FAILED.value, failed_at=now)
            events.append(self._failed_event(delivery, attempts, result.error, now))
        else:
            delay = retry_delay(attempts, *self._backoff)
            update["$set"]["next_attempt_at"] = now + delay
        update = with_outbox(update, events)
        # By _id alone: the lease outlives every send (settings check lease > timeouts),
        # so no other worker can hold this delivery while we record its attempt.
        await self._deliveries.update_one({"_id": delivery["_id"]}, update)
        if events:
            self._relay.notify(OutboxHint(DELIVERIES, delivery["_id"]))
        log.info(
            "delivery attempt",
            delivery_id=delivery["_id"],
            channel=delivery["channel"],
            ok=result.ok,
            attempts=attempts,
            error=result.error[:200],
        )

    async def _hold(self, delivery: Document, until: datetime) -> None:
        """Not attempted (a paused webhook subscription): due again at ``until``."""
        await self._deliveries.update_one(
            {"_id": delivery["_id"]},
            {"$set": {"next_attempt_at": until}, "$unset": {LEASE_UNTIL: "", LEASE_OWNER: ""}},
        )

    def _delivered_event(self, delivery: Document, now: datetime) -> OutgoingEvent:
        return OutgoingEvent.create(
            NotificationDeliveredV1(
                notification_id=delivery["notification_id"],
                recipient_id=delivery["recipient_id"],
                category=delivery.get("category", "digest"),
                channel=delivery["channel"],
                source_event_id=delivery.get("source_event_id"),
                delivered_at=now,
            ),
            source=SOURCE,
            subject=delivery["notification_id"],
            tenant_id=delivery["tenant_id"],
            key=delivery["recipient_id"],
            time=now,
        )

    def _failed_event(
        self, delivery: Document, attempts: int, error: str, now: datetime
    ) -> OutgoingEvent:
        return OutgoingEvent.create(
            NotificationFailedV1(
                notification_id=delivery["notification_id"],
                recipient_id=delivery["recipient_id"],
                category=delivery.get("category", "digest"),
                channel=delivery["channel"],
                attempts=attempts,
                error=(error or "failed")[:1000],
                failed_at=now,
            ),
            source=SOURCE,
            subject=delivery["notification_id"],
            tenant_id=delivery["tenant_id"],
            key=delivery["recipient_id"],
            time=now,
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
