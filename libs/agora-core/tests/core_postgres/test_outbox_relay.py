"""The PostgreSQL outbox relay on the real broker: several replicas at once publish
every row exactly once and keep each key's order; a broker outage keeps the rows; a
commit of another process wakes the relay through its listener, not its poll."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import defaultdict
from typing import Any

import pytest

from agora_core.messaging.events import OutgoingEvent
from agora_core.messaging.kafka_connection import create_broker
from agora_core.messaging.publisher import EventPublisher
from agora_core.postgres import Database, create_pool
from agora_core.postgres.channel_watch import Listener
from agora_core.postgres.outbox_relay import PostgresOutboxRelay
from agora_core.testing import eventually
from core_postgres.world import count_rows

pytestmark = pytest.mark.integration

KEYS = 40
PER_KEY = 50


def _event(topic: str, key: str, seq: int) -> OutgoingEvent:
    return OutgoingEvent(
        event_id=str(uuid.uuid4()),
        topic=topic,
        key=key,
        headers={"ce_type": "org.agora.test.step.v1", "ce_tenantid": "acme"},
        value=json.dumps({"key": key, "seq": seq}).encode(),
    )


async def _write_key(database: Database, topic: str, key: str) -> None:
    """One writer per key, each event in its own transaction, in sequence order."""
    for seq in range(PER_KEY):
        async with database.unit_of_work("acme") as uow:
            uow.add_events([_event(topic, key, seq)])


async def test_three_relays_publish_each_row_once_in_key_order(
    counters_db: Database,
    postgres_dsn: str,
    kafka_bootstrap: str,
    unique: str,
    create_topic: Any,
    read_topic: Any,
) -> None:
    topic = await create_topic(f"agora.{unique}.steps.v1", 6)
    replicas: list[tuple[Any, PostgresOutboxRelay, Listener]] = []
    for index in range(3):
        broker = create_broker(kafka_bootstrap, client_id=f"relay-{unique}-{index}")
        await broker.start()
        pool = create_pool(postgres_dsn, application_name=f"relay-{index}", max_size=2)
        await pool.open()
        listener = Listener(postgres_dsn, name=f"relay-{index}")
        relay = PostgresOutboxRelay(
            pool,
            EventPublisher(broker, service="tests"),
            service="tests",
            listener=listener,
            poll_interval=0.2,
            batch_size=37,  # small batches: many rounds, lanes change hands often
            max_lanes=4,
        )
        listener.start()
        relay.start()
        replicas.append((broker, relay, listener))
    try:
        # Writers and relays run at the same time.
        await asyncio.gather(*(_write_key(counters_db, topic, f"k{k}") for k in range(KEYS)))
        total = KEYS * PER_KEY

        async def drained() -> bool:
            return await count_rows(counters_db, "outbox") == 0

        await eventually(drained, timeout=120)
        # Everything is on the topic once the outbox is empty; asking for one more
        # than was written reads it all, so a duplicate would show.
        records = await read_topic(topic, total + 1, timeout=10)
    finally:
        for broker, relay, listener in replicas:
            await relay.stop(flush=False)
            await listener.stop()
            await broker.stop()

    assert len(records) == total
    seen: dict[str, list[int]] = defaultdict(list)
    for record in records:
        data = json.loads(record.value)
        assert record.key.decode() == data["key"]
        seen[data["key"]].append(data["seq"])
    # Exactly once (no duplicate, none missing) and in order, key by key: one key
    # lives in one partition, which read_topic returns in offset order.
    assert seen == {f"k{k}": list(range(PER_KEY)) for k in range(KEYS)}


async def test_rows_stay_while_the_broker_is_unreachable_and_go_out_once_it_answers(
    counters_db: Database,
    kafka_bootstrap: str,
    unique: str,
    create_topic: Any,
    read_topic: Any,
) -> None:
    """Nothing is deleted unless Kafka acknowledged it; once a broker answers, the rows
    written during the outage are published, each once, in order, and deleted."""
    topic = await create_topic(f"agora.{unique}.steps.v1", 1)
    down = create_broker("127.0.0.1:9", client_id=f"relay-{unique}")
    relay = PostgresOutboxRelay(
        counters_db.pool,
        EventPublisher(down, service="tests"),
        service="tests",
        listener=None,
        poll_interval=0.1,
    )
    for seq in range(5):
        async with counters_db.unit_of_work("acme") as uow:
            uow.add_events([_event(topic, "k", seq)])
    with pytest.raises(Exception):  # noqa: B017, PT011 - the broker's own error, whatever it is
        await asyncio.wait_for(relay.publish_once(), timeout=20)
    assert await count_rows(counters_db, "outbox") == 5

    broker = create_broker(kafka_bootstrap, client_id=f"relay-back-{unique}")
    await broker.start()
    back = PostgresOutboxRelay(
        counters_db.pool,
        EventPublisher(broker, service="tests"),
        service="tests",
        listener=None,
        poll_interval=0.1,
    )
    back.start()
    try:

        async def drained() -> bool:
            return await count_rows(counters_db, "outbox") == 0

        await eventually(drained, timeout=60)
        records = await read_topic(topic, 6, timeout=10)  # one more: a duplicate would show
    finally:
        await back.stop(flush=False)
        await broker.stop()
    assert [json.loads(record.value)["seq"] for record in records] == list(range(5))


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
            uow.add_events([_event(topic, "k", 1)])

        async def drained() -> bool:
            return await count_rows(counters_db, "outbox") == 0

        await eventually(drained, timeout=10)
        assert len(await read_topic(topic, 1, timeout=10)) == 1
    finally:
        await relay.stop(flush=False)
        await listener.stop()
        await broker.stop()
