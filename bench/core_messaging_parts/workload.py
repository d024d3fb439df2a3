"""The core messaging benchmark's workload: its event type, names, the batch of events
and rows every phase works on, the progress display, and the consumer's unit of work."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from typing import Final

from pydantic import Field
from rich.console import Console
from rich.progress import Progress, TaskID

from agora_contracts.events import EventPayload, EventRegistry, EventSpec
from agora_core.messaging.events import OutgoingEvent
from agora_core.postgres import Database, UnitOfWork
from agora_core.postgres.processed import mark_processed

# A wide table when piped (CI logs, tee): rich assumes 80 columns otherwise.
console = Console(width=None if sys.stdout.isatty() else 150)

PARTITIONS: Final = 6


RAW_INSERT_BATCH: Final = 500


TENANT: Final = "bench"


GROUP: Final = "bench-core"


INSERT_ONE: Final = (
    "INSERT INTO progress (tenant_id, event_id, learner_id, item_id, percent) "
    "VALUES (%s, %s, %s, %s, %s)"
)


INSERT_MANY: Final = """
INSERT INTO progress (tenant_id, event_id, learner_id, item_id, percent)
SELECT * FROM unnest(%b::text[], %b::text[]::uuid[], %b::text[], %b::text[], %b::int4[])
"""


class ItemProgressed(EventPayload):
    """A learner's progress on an item (benchmark payload of realistic size)."""

    item_id: str = Field(description="Item.", examples=["item-1"])
    learner_id: str = Field(description="Learner.", examples=["user-1"])
    percent: int = Field(description="Progress.", examples=[40], ge=0, le=100)
    position: str = Field(description="Last position.", examples=["chapter-3/page-2"])


@dataclasses.dataclass(frozen=True)
class Names:
    """This run's topics and event type (unique, so runs never see each other's records)."""

    unique: str

    @property
    def topic(self) -> str:
        return f"agora.{self.unique}.progress.v1"

    @property
    def relayed_topic(self) -> str:
        return f"agora.{self.unique}.relayed.v1"

    @property
    def event_type(self) -> str:
        return f"org.agora.{self.unique}.item.progressed.v1"

    def registry(self) -> EventRegistry:
        registry = EventRegistry()
        registry.register(
            EventSpec(self.event_type, self.topic, ItemProgressed, "learner_id", "progress")
        )
        return registry


@dataclasses.dataclass(frozen=True)
class Batch:
    """Events and the rows their handler writes, as the column arrays of ``unnest``."""

    events: list[OutgoingEvent]
    payloads: list[ItemProgressed]

    def columns(self) -> tuple[list[str], list[str], list[str], list[str], list[int]]:
        return (
            [TENANT] * len(self.events),
            [e.event_id for e in self.events],
            [p.learner_id for p in self.payloads],
            [p.item_id for p in self.payloads],
            [p.percent for p in self.payloads],
        )

    def marks(self, event_type: str) -> list[tuple[str, str, str]]:
        return [(TENANT, e.event_id, event_type) for e in self.events]

    def slices(self, size: int) -> list[Batch]:
        return [
            Batch(self.events[i : i + size], self.payloads[i : i + size])
            for i in range(0, len(self.events), size)
        ]


def make_batch(names: Names, registry: EventRegistry, count: int) -> Batch:
    payloads = [
        ItemProgressed(
            item_id=f"item-{i % 997}",
            learner_id=f"user-{i % 10_000}",
            percent=i % 101,
            position=f"chapter-{i % 12}/page-{i % 40}",
        )
        for i in range(count)
    ]
    events = [
        OutgoingEvent.create(
            p,
            source="/agora/bench",
            subject=p.learner_id,
            tenant_id=TENANT,
            actor_id=p.learner_id,
            registry=registry,
        )
        for p in payloads
    ]
    return Batch(events, payloads)


def elsewhere(events: Sequence[OutgoingEvent], topic: str) -> list[OutgoingEvent]:
    """The same events bound for another topic (what a handler's outbox would hold)."""
    return [dataclasses.replace(e, topic=topic) for e in events]


class Phases:
    """One progress bar per phase; callers tick it from outside the timed work."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def start(self, label: str, total: int) -> TaskID:
        return self.progress.add_task(label, total=total)

    def done(self, task: TaskID, note: str) -> None:
        total = self.progress.tasks[task].total
        self.progress.update(task, completed=total, description=note)


async def truncate(database: Database) -> None:
    async with database.pool.connection() as connection:
        await connection.execute("TRUNCATE progress, processed_events, outbox")


async def count_rows(database: Database) -> int:
    async with database.unit_of_work(TENANT) as uow:
        cursor = await uow.connection.execute("SELECT count(*) FROM progress")
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def unit_of_work_batch(
    uow: UnitOfWork, batch: Batch, event_type: str, outgoing: Sequence[OutgoingEvent]
) -> None:
    """A consumer's unit of work for one batch: marks, a row and an outbox row per event."""
    await mark_processed(uow, GROUP, batch.marks(event_type))
    await uow.connection.execute(INSERT_MANY, batch.columns())
    uow.add_events(outgoing)
