"""The relay: publish pending outbox entries, then remove them from their documents.

Finding the documents: a writer passes a hint (collection and ``_id``) to
:meth:`OutboxRelay.notify`, and the relay claims that document by ``_id``, an index
lookup even on FerretDB, where any other filter scans the whole collection. The
scanning query over ``outbox.id`` runs only on the idle timer (``poll_interval``),
after ``notify()`` without a hint, after hints were dropped (the queue is bounded)
and while a scan still finds full batches: it is the safety net for crashes, expired
leases and writers that do not hint, never the path of a hinted write.

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
from agora_core.outbox.hints import HintQueue, OutboxHint
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
        max_hints: int = 10_000,
    ) -> None:
        self._collections = list(collections)
        self._by_name = {c.name: c for c in self._collections}
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
        self._hints = HintQueue(max_hints)
        # A scan is due at start: entries left by a previous process were never hinted.
        self._scan_due = True

    def notify(self, hint: OutboxHint | None = None, /) -> None:
        """Wake the relay after a write that appended outbox entries.

        With a ``hint`` (the document just written) the relay claims that document by
        ``_id``; without one, or when the bounded hint queue is full, it scans its
        collections as before. With a ``wake_delay``, the wake-ups of that window are
        gathered into one pass: a busy writer then costs one pass per window rather
        than one per write.
        """
        if hint is None:
            self._scan_due = True
        elif hint.collection not in self._by_name:
            # A wiring mistake, not a lost entry: the scan still finds the document.
            log.warning(
                "outbox hint for a collection the relay does not watch", collection=hint.collection
            )
            self._scan_due = True
        elif not self._hints.add(hint):
            self._scan_due = True  # dropped: the scan finds the document instead
        self._schedule_wake()

    def _schedule_wake(self) -> None:
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

    async def stop(self, *, flush: bool = True, grace: float = 10.0) -> None:
        """Stop polling; with ``flush``, try one last time to publish what is pending.

        The round in progress may finish (up to ``grace`` seconds): a round cancelled
        between claiming and marking leaves its documents leased, and the flush cannot
        claim them until the lease runs out (found by the SIGTERM fault test).
        """
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            done, _ = await asyncio.wait({self._task}, timeout=grace)
            if not done:
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
        total = await self.publish_hinted()
        while True:
            sent = await self.publish_once()
            total += sent
            if sent == 0:
                return total

    async def publish_once(self) -> int:
        """One scanning round over every collection; return the entries published."""
        sent = 0
        for collection in self._collections:
            candidates, published = await self._scan_collection(collection)
            sent += published
            if candidates >= self._batch_size:
                self._scan_due = True  # a full batch: more may be waiting
        return sent

    async def publish_hinted(self) -> int:
        """Claim and publish the hinted documents by ``_id``; return the entries published.

        A hinted document that no longer matches (already published, or leased by
        another replica, which publishes it) is skipped. If publishing fails, the hints
        not yet done are queued again for the next round.
        """
        pending = self._hints.take()
        sent = 0
        try:
            while pending:
                chunk = pending[: self._batch_size]
                by_collection: dict[str, list[OutboxHint]] = {}
                for hint in chunk:
                    by_collection.setdefault(hint.collection, []).append(hint)
                for name, hints in by_collection.items():
                    collection = self._by_name[name]
                    claimed = await self._claim_ids(collection, [h.doc_id for h in hints])
                    sent += await self._publish_claimed(collection, claimed)
                pending = pending[len(chunk) :]
        except BaseException:
            for hint in pending:
                if not self._hints.add(hint):
                    self._scan_due = True
            raise
        return sent

    async def backlog(self) -> int:
        """Documents with unpublished entries (exported as a gauge)."""
        count = 0
        for collection in self._collections:
            count += await collection.count_documents(_PENDING)
        OUTBOX_BACKLOG.labels(self._service).set(count)
        return count

    async def _scan_collection(self, collection: AsyncCollection[Document]) -> tuple[int, int]:
        """Scan for claimable documents; return (candidates found, entries published)."""
        candidates = await collection.find(
            {**_PENDING, **lease_expired_filter(datetime.now(UTC))},
            {"_id": 1},
            limit=self._batch_size,
        ).to_list()
        claimed = await self._claim_ids(collection, [c["_id"] for c in candidates])
        return len(candidates), await self._publish_claimed(collection, claimed)

    async def _publish_claimed(
        self, collection: AsyncCollection[Document], claimed: list[Document]
    ) -> int:
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

    async def _claim_ids(
        self, collection: AsyncCollection[Document], ids: Sequence[Any]
    ) -> list[Document]:
        """Lease to this relay those of ``ids`` that have pending entries and a free lease.

        Each is leased with a conditional ``find_one_and_update`` on its ``_id`` that
        only matches while it has entries and its lease is free (each update is atomic,
        so a document gets at most one owner, whether it came from a hint or a scan).
        Per ``_id`` rather than one ``update_many`` over ``_id: {$in: …}``: FerretDB
        serves an ``_id`` equality from its index but answers ``$in`` (and any other
        filter) with a scan of the whole collection.
        """
        now = datetime.now(UTC)
        free = lease_expired_filter(now)
        token = uuid.uuid4().hex
        claimed: list[Document] = []
        for doc_id in ids:
            document = await collection.find_one_and_update(
                {"_id": doc_id, **_PENDING, **free},
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
        # The safety-net scan runs on a fixed period, not after the last wake-up: a
        # steady stream of hints must not postpone it for ever.
        next_scan = loop.time() + self._poll_interval
        while not self._stopping:
            # Cleared before taking work: a notify() during the round wakes the next one.
            self._wake.clear()
            try:
                await self.publish_hinted()
                if self._scan_due or loop.time() >= next_scan:
                    self._scan_due = False
                    next_scan = loop.time() + self._poll_interval
                    await self.publish_once()
                    # The backlog count is a scan too (on FerretDB): refresh the gauge
                    # along with scans, at most every few seconds, never on hinted rounds.
                    if loop.time() >= next_gauge:
                        await self.backlog()
                        next_gauge = loop.time() + _BACKLOG_GAUGE_SECONDS
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as error:  # broker or database down: wait and retry, keep entries
                failures += 1
                self._scan_due = True  # a failed scan round is retried as a scan
                delay = min(self._max_backoff, self._poll_interval * 2**failures)
                log.warning("outbox relay round failed", error=repr(error), retry_in=delay)
                await asyncio.sleep(delay)
                continue
            if len(self._hints) or self._scan_due:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=max(0.0, next_scan - loop.time()))


def lease_expired_filter(now: datetime) -> dict[str, Any]:
    """Documents no relay holds a live lease on."""
    return {"$or": [{LEASE_FIELD: {"$exists": False}}, {LEASE_FIELD: {"$lt": now}}]}
