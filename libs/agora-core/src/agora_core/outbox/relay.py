"""The relay: publish pending outbox entries, then remove them from their documents.

Each round claims up to ``batch_size`` documents with a lease (so two replicas do not
publish the same entries at once), publishes every claimed entry pipelined and in
array order (per-aggregate order holds: same key, same partition), waits for all
acknowledgements, then ``$pull``s exactly the published entry ids. A crash between
publish and pull republishes those entries later: delivery is at-least-once and
consumers are idempotent on the event id. While Kafka is down nothing is pulled, the
entries wait, and the relay backs off.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from pymongo import ReturnDocument, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from agora_core.messaging.events import OutgoingEvent
from agora_core.messaging.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISHED
from agora_core.messaging.publisher import EventPublisher
from agora_core.outbox.entries import LEASE_FIELD, OUTBOX_FIELD, OWNER_FIELD
from agora_core.storage import Document

log = structlog.get_logger(__name__)

_PENDING = {f"{OUTBOX_FIELD}.id": {"$exists": True}}
_MARKS_PER_WRITE = 50
_BACKLOG_GAUGE_SECONDS = 5.0


class OutboxRelay:
    """Moves outbox entries of some collections to Kafka."""

    def __init__(
        self,
        collections: Sequence[AsyncCollection[Document]],
        publisher: EventPublisher,
        *,
        service: str,
        poll_interval: float = 0.2,
        batch_size: int = 200,
        lease_seconds: float = 30.0,
        max_backoff: float = 5.0,
        wake_delay: float = 0.0,
    ) -> None:
        self._collections = list(collections)
        self._publisher = publisher
        self._service = service
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._lease = timedelta(seconds=lease_seconds)
        self._max_backoff = max_backoff
        self._wake = asyncio.Event()
        self._wake_delay = wake_delay
        self._wake_scheduled = False
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def notify(self) -> None:
        """Wake the relay (call after writing outbox entries) instead of at the next poll.

        With a ``wake_delay``, the wake-ups of that window are gathered into one: a busy
        writer then costs one relay pass per window rather than one per write.
        """
        if self._wake_delay <= 0:
            self._wake.set()
        elif not self._wake_scheduled:
            self._wake_scheduled = True
            asyncio.get_running_loop().call_later(self._wake_delay, self._delayed_wake)

    def _delayed_wake(self) -> None:
        self._wake_scheduled = False
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self._service}")

    async def stop(self, *, flush: bool = True) -> None:
        """Stop polling; with ``flush``, try one last time to publish what is pending."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if flush:
            try:
                await self.flush()
            except Exception as error:  # the entries stay stored; the next start sends them
                log.warning("outbox flush at shutdown failed", error=repr(error))

    async def flush(self) -> int:
        """Publish until nothing claimable is pending; return how many entries went out."""
        total = 0
        while True:
            sent = await self.publish_once()
            total += sent
            if sent == 0:
                return total

    async def publish_once(self) -> int:
        """One round over every collection; return the number of entries published."""
        sent = 0
        for collection in self._collections:
            sent += await self._publish_collection(collection)
        return sent

    async def backlog(self) -> int:
        """Documents with unpublished entries (exported as a gauge)."""
        count = 0
        for collection in self._collections:
            count += await collection.count_documents(_PENDING)
        OUTBOX_BACKLOG.labels(self._service).set(count)
        return count

    async def _publish_collection(self, collection: AsyncCollection[Document]) -> int:
        claimed = await self._claim(collection)
        if not claimed:
            return 0
        events: list[OutgoingEvent] = []
        for document in claimed:
            events.extend(OutgoingEvent.from_document(e) for e in document[OUTBOX_FIELD])
        try:
            await self._publisher.publish_many(events)
        except Exception:
            # Hand the documents back at once so the next round retries them, rather
            # than waiting for the lease to run out after the broker returns.
            await collection.update_many(
                {"_id": {"$in": [d["_id"] for d in claimed]}},
                {"$unset": {LEASE_FIELD: "", OWNER_FIELD: ""}},
            )
            raise
        marks = [
            UpdateOne(
                {"_id": document["_id"]},
                {
                    # $pullAll of the exact entries read: FerretDB 1.x silently
                    # ignores a $pull with a condition such as {"id": {"$in": …}}.
                    "$pullAll": {OUTBOX_FIELD: document[OUTBOX_FIELD]},
                    "$unset": {LEASE_FIELD: "", OWNER_FIELD: ""},
                },
            )
            for document in claimed
        ]
        # FerretDB 1.x keeps one SQLite connection per statement of an update command
        # until the command ends; ~100 statements exhaust its pool and hang it.
        for start in range(0, len(marks), _MARKS_PER_WRITE):
            await collection.bulk_write(marks[start : start + _MARKS_PER_WRITE], ordered=False)
        OUTBOX_PUBLISHED.labels(self._service).inc(len(events))
        return len(events)

    async def _claim(self, collection: AsyncCollection[Document]) -> list[Document]:
        """Lease a batch of documents with pending entries to this relay.

        One ``find`` lists candidates whose lease is free, then each is leased with a
        conditional ``find_one_and_update`` on its ``_id`` that only matches while the
        lease is still free (each update is atomic, so a document gets at most one
        owner). Per ``_id`` rather than one ``update_many`` over ``_id: {$in: …}``:
        FerretDB serves an ``_id`` equality from its index but answers ``$in`` (and any
        other filter) with a scan of the whole collection, which made every relay
        round cost three scans of an ever-growing collection.
        """
        now = datetime.now(UTC)
        free = lease_expired_filter(now)
        candidates = await collection.find(
            {**_PENDING, **free}, {"_id": 1}, limit=self._batch_size
        ).to_list()
        token = uuid.uuid4().hex
        claimed: list[Document] = []
        for candidate in candidates:
            document = await collection.find_one_and_update(
                {"_id": candidate["_id"], **_PENDING, **free},
                {"$set": {LEASE_FIELD: now + self._lease, OWNER_FIELD: token}},
                return_document=ReturnDocument.AFTER,
            )
            if document is not None and document.get(OUTBOX_FIELD):
                claimed.append(document)
        return claimed

    async def _run(self) -> None:
        failures = 0
        loop = asyncio.get_running_loop()
        next_gauge = 0.0
        while not self._stopping:
            try:
                sent = await self.publish_once()
                # The backlog count scans the outbox collections (a full scan on
                # FerretDB): refresh the gauge every few seconds, not every poll.
                if loop.time() >= next_gauge:
                    await self.backlog()
                    next_gauge = loop.time() + _BACKLOG_GAUGE_SECONDS
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as error:  # broker or database down: wait and retry, keep entries
                failures += 1
                delay = min(self._max_backoff, self._poll_interval * 2**failures)
                log.warning("outbox relay round failed", error=repr(error), retry_in=delay)
                await asyncio.sleep(delay)
                continue
            if sent == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval)
                self._wake.clear()


def lease_expired_filter(now: datetime) -> dict[str, Any]:
    """Documents no relay holds a live lease on."""
    return {"$or": [{LEASE_FIELD: {"$exists": False}}, {LEASE_FIELD: {"$lt": now}}]}
