"""One LISTEN connection per process follows every channel it watches: each channel
listens once its own probe came back, and a notification moves its channel's
generation only. A relay given the listener wakes on another process's commit long
before its poll would.

Real server and broker: the notifications, the listener's connection, the relay."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from agora_core.messaging.events import OutgoingEvent
from agora_core.messaging.kafka_connection import create_broker
from agora_core.messaging.publisher import EventPublisher
from agora_core.postgres import Database
from agora_core.postgres.channel_watch import ChannelWatch, Listener
from agora_core.postgres.outbox_relay import PostgresOutboxRelay
from agora_core.privacy.postgres import ERASED_CHANNEL
from agora_core.testing import eventually
from core_postgres.world import count_rows

pytestmark = pytest.mark.integration

OTHER = "agora_test_other"


def both_listening(*watches: ChannelWatch) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return all(w.listening for w in watches)

    return check


async def _connections(database: Database, application: str) -> int:
    async with database.pool.connection() as connection:
        cursor = await connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (application,)
        )
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _notify(database: Database, channel: str) -> None:
    async with database.pool.connection() as connection:
        await connection.execute("SELECT pg_notify(%s, 'hello')", (channel,))


async def test_channels_share_one_connection_and_keep_their_own_generations(
    postgres_dsn: str, counters_db: Database
) -> None:
    listener = Listener(postgres_dsn, name="test-two")
    erased, other = listener.watch(ERASED_CHANNEL), listener.watch(OTHER)
    with pytest.raises(ValueError, match="already watched"):
        listener.watch(OTHER)
    listener.start()
    try:
        await eventually(both_listening(erased, other), timeout=10)
        assert await _connections(counters_db, "agora-test-two") == 1
        with pytest.raises(RuntimeError, match="before it starts"):
            listener.watch("agora_test_late")

        erased_before, other_before = erased.generation, other.generation
        await _notify(counters_db, OTHER)

        async def other_moved() -> bool:
            return other.generation != other_before

        await eventually(other_moved, timeout=10)
        await asyncio.sleep(0.2)  # a stray move of the other channel would show by now
        assert erased.generation == erased_before
    finally:
        await listener.stop()
    assert not erased.listening
    assert not other.listening


def _event(topic: str) -> OutgoingEvent:
    return OutgoingEvent(
        event_id=str(uuid.uuid4()),
        topic=topic,
        key="k",
        headers={"ce_type": "org.agora.test.step.v1", "ce_tenantid": "acme"},
        value=b"{}",
    )


async def test_a_relay_wakes_on_another_process_commit_through_the_listener(
    postgres_dsn: str,
    counters_db: Database,
    kafka_bootstrap: str,
    unique: str,
    create_topic: Any,
    read_topic: Any,
) -> None:
    topic = await create_topic(f"agora.{unique}.wake.v1", 1)
    broker = create_broker(kafka_bootstrap, client_id=f"relay-wake-{unique}")
    await broker.start()
    listener = Listener(postgres_dsn, name="test-wake")
    relay = PostgresOutboxRelay(
        counters_db.pool,
        EventPublisher(broker, service="tests"),
        service="tests",
        listener=listener,
        poll_interval=60,  # only a notification can wake it within the test
    )
    listener.start()
    relay.start()
    try:
        await relay.flush()
        await asyncio.sleep(0.5)  # the relay is now waiting for its next wake-up
        # Another process's commit: a database without this relay's in-process hook.
        async with counters_db.unit_of_work("acme") as uow:
            uow.add_events([_event(topic)])

        async def drained() -> bool:
            return await count_rows(counters_db, "outbox") == 0

        await eventually(drained, timeout=10)
        assert len(await read_topic(topic, 1, timeout=10)) == 1
    finally:
        await relay.stop(flush=False)
        await listener.stop()
        await broker.stop()
