"""The relay: publish rows of the ``outbox`` table to Kafka, in order per key.

Each round is one transaction: lock free lanes that have rows
(``pg_try_advisory_xact_lock``, one lane per key hash), claim their oldest rows with
``FOR UPDATE SKIP LOCKED``, publish them pipelined with the idempotent producer,
wait for every acknowledgement, delete them, commit. A lane is held by one relay at a
time until its rows are acknowledged and deleted, so several replicas never publish
one row twice at once and never reorder one key's events. A crash or a failed publish
rolls the round back: the rows stay and are published again (at-least-once; consumers
dedupe on the event id).

The relay wakes when a commit in this process wrote rows, on ``LISTEN agora_outbox``
(commits of other replicas), and on a slow poll as the backstop (a lost notification,
PgBouncer in transaction mode where LISTEN is unavailable).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import Any, Final

import structlog

from agora_core.messaging.events import OutgoingEvent
from agora_core.messaging.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISHED
from agora_core.messaging.publisher import EventPublisher
from agora_core.postgres.channel_watch import Listener
from agora_core.postgres.pool import Pool
from agora_core.postgres.unit_of_work import OUTBOX_CHANNEL, OUTBOX_LANES

log = structlog.get_logger(__name__)

# Advisory lock namespace of outbox lanes (two-key form: namespace, lane).
_LANE_LOCKS: Final = 7_262_022

# Arrays as binary parameters (%b), as in the unit of work: no per-element quoting.
_LOCK_LANES: Final = """
SELECT l.lane FROM unnest(%b::int4[]) AS l(lane)
WHERE EXISTS (SELECT 1 FROM outbox o WHERE o.lane = l.lane)
  AND pg_try_advisory_xact_lock(%s, l.lane)
LIMIT %s
"""
_CLAIM: Final = """
SELECT position, id::text, aggregatetype, aggregateid, payload::text, headers
FROM outbox WHERE lane = ANY(%b::int4[])
ORDER BY position LIMIT %s
FOR UPDATE SKIP LOCKED
"""
_DELETE: Final = "DELETE FROM outbox WHERE position = ANY(%b::int8[])"


class PostgresOutboxRelay:
    """Moves outbox rows of one service database to Kafka."""

    def __init__(
        self,
        pool: Pool,
        publisher: EventPublisher,
        *,
        service: str,
        listener: Listener | None,
        poll_interval: float = 5.0,
        batch_size: int = 500,
        max_lanes: int = 8,
        rounds_at_once: int = 2,
        max_backoff: float = 5.0,
    ) -> None:
        self._pool = pool
        self._publisher = publisher
        self._service = service
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._max_lanes = max(1, min(max_lanes, OUTBOX_LANES))
        self._max_backoff = max_backoff
        # Rounds in flight together: while one waits for Kafka's acknowledgements,
        # another claims and publishes other lanes (disjoint: lanes are locked).
        self._rounds_at_once = max(1, rounds_at_once)
        # Each replica starts its lane search elsewhere, so replicas spread over lanes.
        self._lane_order = list(range(OUTBOX_LANES))
        random.shuffle(self._lane_order)
        self._wake = asyncio.Event()
        # Commits of other replicas notify; (re)listening wakes too (rows may have
        # arrived while not listening). The listener is its owner's to start and stop.
        if listener is not None:
            listener.watch(OUTBOX_CHANNEL, on_change=self._wake.set)
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    def notify(self, _hint: object = None, /) -> None:
        """Wake the relay: rows were just committed (called by the unit of work)."""
        self._wake.set()

    def start(self) -> None:
        if self._tasks:
            return
        self._stopping = False
        self._tasks.append(asyncio.create_task(self._run(), name=f"outbox-{self._service}"))

    async def stop(self, *, flush: bool = True, grace: float = 10.0) -> None:
        """Stop; the round in flight may finish (a cancelled round only rolls back)."""
        self._stopping = True
        self._wake.set()
        tasks, self._tasks = self._tasks, []
        if tasks:
            await asyncio.wait(tasks, timeout=grace)
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if flush:
            try:
                await self.flush()
            except Exception as error:  # the rows stay; the next start publishes them
                log.warning("outbox flush at shutdown failed", error=repr(error))

    async def flush(self) -> int:
        """Publish until no claimable row is left; return how many were published."""
        total = 0
        while True:
            sent = await self.publish_rounds()
            total += sent
            if sent == 0:
                return total

    async def publish_rounds(self) -> int:
        """``rounds_at_once`` rounds together (each its own transaction and lanes)."""
        if self._rounds_at_once == 1:
            return await self.publish_once()
        # Every round ends (commits or rolls back) before a failure is raised.
        results = await asyncio.gather(
            *(self.publish_once() for _ in range(self._rounds_at_once)), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return sum(r for r in results if isinstance(r, int))

    async def publish_once(self) -> int:
        """One round (one transaction); return the rows published."""
        lanes = self._rotate()
        async with self._pool.connection() as connection, connection.transaction():
            cursor = await connection.execute(_LOCK_LANES, (lanes, _LANE_LOCKS, self._max_lanes))
            held = [row[0] for row in await cursor.fetchall()]
            if not held:
                return 0
            cursor = await connection.execute(_CLAIM, (held, self._batch_size))
            rows = await cursor.fetchall()
            if not rows:
                return 0
            await self._publisher.publish_many([_event(row) for row in rows])
            await connection.execute(_DELETE, ([row[0] for row in rows],))
        OUTBOX_PUBLISHED.labels(self._service).inc(len(rows))
        return len(rows)

    async def backlog(self) -> int:
        """Rows not yet published (exported as a gauge)."""
        async with self._pool.connection() as connection:
            cursor = await connection.execute("SELECT count(*) FROM outbox")
            row = await cursor.fetchone()
        count = int(row[0]) if row else 0
        OUTBOX_BACKLOG.labels(self._service).set(count)
        return count

    def _rotate(self) -> list[int]:
        self._lane_order = self._lane_order[1:] + self._lane_order[:1]
        return list(self._lane_order)

    async def _run(self) -> None:
        failures = 0
        while not self._stopping:
            self._wake.clear()  # before the round: a commit during it wakes the next one
            try:
                sent = await self.publish_rounds()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as error:  # broker or database down: rows stay, retry later
                failures += 1
                delay = min(self._max_backoff, 0.1 * 2**failures)
                log.warning("outbox relay round failed", error=repr(error), retry_in=delay)
                await asyncio.sleep(delay)
                continue
            if sent:
                continue  # more may be waiting (a full batch, or other lanes)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._poll_interval)
            if not self._wake.is_set() and not self._stopping:
                with contextlib.suppress(Exception):
                    await self.backlog()


def _event(row: tuple[Any, ...]) -> OutgoingEvent:
    _position, event_id, topic, key, payload, headers = row
    return OutgoingEvent(
        event_id=event_id,
        topic=topic,
        key=key,
        headers={str(k): str(v) for k, v in headers.items()},
        value=payload.encode("utf-8"),
    )
