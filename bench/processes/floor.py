"""The storage floor of a consumer benchmark: what the database costs for the effects
of the same events, with no Kafka, no decoding and no poll loop.

The events are decoded beforehand, untimed, by the consumer's own ``parse_record``;
then each :data:`BATCH` of them is written as the consumer writes a poll, timed: one
unit of work with the processed marks and the service's own set handler (its repository
writes and outbox rows), committed. A consumer that keeps exactly-once effects cannot
handle events faster than this on the same machine, so the floor bounds its ratio to
raw consumption. (Gamification's floor, ``bench/gamification_parts/floor.py``, also
leaves its scoring rules out of the timed part: they are a planning step of their own.)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Final

from aiokafka import ConsumerRecord

from agora_contracts.events.registry import REGISTRY
from agora_core.messaging.batch_consumer import EventSetHandler
from agora_core.messaging.events import OutgoingEvent, ReceivedEvent
from agora_core.messaging.records import parse_record
from agora_core.postgres import Database
from agora_core.postgres.processed import mark_processed

BATCH: Final = 500
"""Events per transaction: the consumer's default ``max_records`` per poll."""
GROUP: Final = "bench-storage-floor"
"""The consumer group the floor's processed marks are written for."""


def _record(event: OutgoingEvent, offset: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic=event.topic,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=event.key.encode(),
        value=event.value,
        checksum=None,
        serialized_key_size=len(event.key),
        serialized_value_size=len(event.value),
        headers=[(k, v.encode()) for k, v in event.headers.items()],
    )


def received(events: Sequence[OutgoingEvent]) -> list[ReceivedEvent[Any]]:
    """``events`` as the consumer decodes them from their records (all of them valid)."""
    handled = {e.headers["ce_type"] for e in events}
    decoded = [
        parse_record(_record(e, i), REGISTRY, handled, 1 << 20) for i, e in enumerate(events)
    ]
    return [e for e in decoded if e is not None]


async def handler_floor(
    database: Database, handler: EventSetHandler, events: Sequence[OutgoingEvent]
) -> float:
    """Events/s of the marks and ``handler``'s writes for ``events`` (see the module doc)."""
    batches = received(events)
    began = time.perf_counter()
    for at in range(0, len(batches), BATCH):
        part = batches[at : at + BATCH]
        async with database.unit_of_work() as core:
            marks = [(e.tenant_id, e.event_id, e.envelope.type) for e in part]
            fresh = await mark_processed(core, GROUP, marks)
            # New events only: each one is written, none skipped as a repeat.
            assert len(fresh) == len(part), f"{len(part) - len(fresh)} events marked before"
            await handler(part, core)
    return len(batches) / (time.perf_counter() - began)
