"""A PostgreSQL-backed event world: counters bumped by a batch consumer.

The handler adds to the counter (``value = value + amount``): applied twice, an event
counts twice, so the tests' exact totals catch a duplicate effect as surely as a
lost one. Each handled event also writes one outbox row (an echo), which must commit
with the effect or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from core_messaging.harness import CounterBumped, EventWorld

from agora_core.messaging.batch_consumer import (
    BatchEventConsumer,
    BatchEventHandler,
    EventSetHandler,
    by_tenant,
)
from agora_core.messaging.events import OutgoingEvent, ReceivedEvent
from agora_core.messaging.group_member import RetryPolicy
from agora_core.messaging.kafka_connection import KafkaConnection, create_broker
from agora_core.messaging.publisher import EventPublisher
from agora_core.postgres import Database, UnitOfWork
from agora_core.postgres.migrations import Migrations

COUNTER_MIGRATIONS: Final = Migrations(Path(__file__).resolve().parent / "counter_migrations")


async def bump(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
    payload: CounterBumped = event.payload
    await uow.connection.execute(
        "INSERT INTO counters (tenant_id, counter_id, value) VALUES (%s, %s, %s) "
        "ON CONFLICT (tenant_id, counter_id) DO UPDATE SET value = counters.value + %s",
        (event.tenant_id, payload.counter_id, payload.amount, payload.amount),
    )
    uow.add_events([echo(event)])


async def bump_all(events: Sequence[ReceivedEvent[Any]], uow: UnitOfWork) -> None:
    """The set-based bump: one upsert per tenant for the whole run (amounts summed per
    counter first: one statement may not update a row twice)."""
    for tenant, own in by_tenant(events):
        amounts: dict[str, int] = {}
        for event in own:
            payload: CounterBumped = event.payload
            amounts[payload.counter_id] = amounts.get(payload.counter_id, 0) + payload.amount
        await uow.set_tenant(tenant)
        await uow.connection.execute(
            "INSERT INTO counters (tenant_id, counter_id, value) "
            "SELECT %s, c, v FROM unnest(%b::text[], %b::int8[]) AS a(c, v) "
            "ON CONFLICT (tenant_id, counter_id) DO UPDATE "
            "SET value = counters.value + EXCLUDED.value",
            (tenant, list(amounts), list(amounts.values())),
        )
    uow.add_events([echo(event) for event in events])


def echo(event: ReceivedEvent[Any]) -> OutgoingEvent:
    """The event a handled bump causes (kept in the outbox)."""
    return OutgoingEvent(
        event_id=str(uuid.uuid4()),
        topic=f"{event.topic}.echo",
        key=event.key or "",
        headers={"ce_type": "echo", "ce_tenantid": event.tenant_id},
        value=b"{}",
    )


def echo_with_id(event_id: str) -> OutgoingEvent:
    return OutgoingEvent(
        event_id=event_id, topic="echo", key="k", headers={"ce_type": "echo"}, value=b"{}"
    )


async def totals(database: Database, tenant: str) -> dict[str, int]:
    async with database.unit_of_work(tenant) as uow:
        cursor = await uow.connection.execute(
            "SELECT counter_id, value FROM counters WHERE tenant_id = %s", (tenant,)
        )
        return {row[0]: int(row[1]) for row in await cursor.fetchall()}


async def count_rows(database: Database, table: str) -> int:
    """Rows of an infrastructure table (outbox, processed_events: no RLS)."""
    queries = {
        "outbox": "SELECT count(*) FROM outbox",
        "processed_events": "SELECT count(*) FROM processed_events",
    }
    async with database.pool.connection() as connection:
        cursor = await connection.execute(queries[table])
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def counter_value(database: Database, counter_id: str, tenant: str = "acme") -> int:
    """One counter's value (0 before its first bump)."""
    return (await totals(database, tenant)).get(counter_id, 0)


@dataclass
class RunningBatchConsumer:
    broker: KafkaConnection
    consumer: BatchEventConsumer
    publisher: EventPublisher

    async def stop(self) -> None:
        await self.consumer.drain()
        await self.broker.stop()


async def start_batch_consumer(
    world: EventWorld,
    kafka: str,
    database: Database,
    handlers: Mapping[str, BatchEventHandler] | None = None,
    *,
    set_handlers: Mapping[str, EventSetHandler] | None = None,
    max_attempts: int = 3,
    max_records: int = 500,
    client_id: str | None = None,
    per_tenant_metrics: bool = False,
    batches_in_flight: int = 2,
) -> RunningBatchConsumer:
    broker = create_broker(kafka, client_id=client_id or f"test-{world.unique}")
    publisher = EventPublisher(broker, service="tests")
    default: dict[str, BatchEventHandler] = {world.event_type: bump}
    consumer = BatchEventConsumer(
        broker,
        service="tests",
        group_id=world.group,
        topics=[world.topic],
        handlers=handlers if handlers is not None else {} if set_handlers else default,
        set_handlers=set_handlers,
        registry=world.registry,
        database=database,
        publisher=publisher,
        retry=RetryPolicy(max_attempts=max_attempts, backoff_ms=20, backoff_max_ms=100),
        max_records=max_records,
        per_tenant_metrics=per_tenant_metrics,
        batches_in_flight=batches_in_flight,
    )
    await broker.start()
    await consumer.wait_for_assignment()
    return RunningBatchConsumer(broker, consumer, publisher)
