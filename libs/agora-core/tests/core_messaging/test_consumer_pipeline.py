"""The consumer pipeline (the batch consumer) against the real Kafka broker and
PostgreSQL: the envelope arrives intact, a redelivered event has no second effect,
what cannot be handled goes to the DLQ with its reason and the partition moves on."""

from __future__ import annotations

from typing import Any

import pytest
from core_postgres.world import bump, count_rows, counter_value, start_batch_consumer

from agora_contracts.events import CloudEventEnvelope
from agora_core.messaging.dead_letters import DLQ_VALUE_LIMIT, dlq_topic
from agora_core.messaging.events import ReceivedEvent
from agora_core.postgres import Database, UnitOfWork
from agora_core.testing import eventually

from .harness import CONSUMED, CounterBumped, EventWorld, sample

pytestmark = pytest.mark.integration


def _headers(record: Any) -> dict[str, str]:
    return {k: v.decode() for k, v in record.headers}


async def test_event_is_consumed_once_with_its_envelope_intact(
    kafka_bootstrap: str, counters_db: Database, unique: str, create_topic: Any
) -> None:
    world = EventWorld(unique)
    await create_topic(world.topic)
    seen: list[ReceivedEvent[Any]] = []

    async def handler(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
        seen.append(event)
        await bump(event, uow)

    running = await start_batch_consumer(
        world, kafka_bootstrap, counters_db, {world.event_type: handler}
    )
    try:
        sent = world.event("c-1", amount=5)
        await running.publisher.publish(sent)

        async def counted() -> bool:
            return await counter_value(counters_db, "c-1") == 5

        await eventually(counted)
        assert len(seen) == 1
        received = seen[0]
        assert received.envelope == CloudEventEnvelope.from_headers(sent.headers)
        assert received.event_id == sent.event_id
        assert received.envelope.tenantid == "acme"
        assert received.envelope.actorid == "user-1"
        assert received.envelope.traceparent is not None
        assert received.payload == CounterBumped(counter_id="c-1", amount=5)
        assert received.key == "c-1"
    finally:
        await running.stop()


async def test_redelivered_event_has_no_second_effect(
    kafka_bootstrap: str, counters_db: Database, unique: str, create_topic: Any
) -> None:
    world = EventWorld(unique)
    await create_topic(world.topic)
    calls: list[str] = []

    async def handler(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
        calls.append(event.event_id)
        await bump(event, uow)

    running = await start_batch_consumer(
        world, kafka_bootstrap, counters_db, {world.event_type: handler}
    )
    duplicates = {
        "service": "tests",
        "topic": world.topic,
        "type": world.event_type,
        "outcome": "duplicate",
    }
    before = sample(CONSUMED, **duplicates)
    try:
        event = world.event("c-2", amount=3)
        marker = world.event("c-2", amount=1)
        await running.publisher.publish_many([event, event, event, marker])

        async def all_seen() -> bool:
            return sample(CONSUMED, **duplicates) - before == 2 and len(calls) == 2

        await eventually(all_seen)
        assert await counter_value(counters_db, "c-2") == 4
        assert calls == [event.event_id, marker.event_id]
        # One mark and one outbox row per event, committed with its effect.
        assert await count_rows(counters_db, "processed_events") == 2
        assert await count_rows(counters_db, "outbox") == 2
    finally:
        await running.stop()


async def test_failing_handler_dead_letters_after_retries_and_partition_moves_on(
    kafka_bootstrap: str,
    counters_db: Database,
    unique: str,
    create_topic: Any,
    read_topic: Any,
) -> None:
    world = EventWorld(unique)
    await create_topic(world.topic)
    await create_topic(dlq_topic(world.topic))
    attempts: dict[str, int] = {}

    async def handler(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
        attempts[event.event_id] = attempts.get(event.event_id, 0) + 1
        if event.payload.amount == 13:
            raise RuntimeError("thirteen is unlucky")
        await bump(event, uow)

    running = await start_batch_consumer(
        world, kafka_bootstrap, counters_db, {world.event_type: handler}, max_attempts=3
    )
    try:
        poison = world.event("c-3", amount=13)
        after = world.event("c-3", amount=2)  # same key: same partition, after the poison
        await running.publisher.publish_many([poison, after])

        async def next_handled() -> bool:
            return await counter_value(counters_db, "c-3") == 2

        await eventually(next_handled)
        assert attempts[poison.event_id] == 3
        dead = await read_topic(dlq_topic(world.topic), 1)
        assert len(dead) == 1
        headers = _headers(dead[0])
        assert headers["ce_id"] == poison.event_id
        assert headers["agora-dlq-reason"] == "retries-exhausted"
        assert "thirteen is unlucky" in headers["agora-dlq-error"]
        assert headers["agora-dlq-attempts"] == "3"
        assert headers["agora-dlq-topic"] == world.topic
        assert dead[0].value == poison.value
        assert dead[0].key == b"c-3"
    finally:
        await running.stop()


async def test_poison_records_go_to_the_dlq_with_reasons_and_never_stop_the_consumer(
    kafka_bootstrap: str,
    counters_db: Database,
    unique: str,
    create_topic: Any,
    read_topic: Any,
) -> None:
    world = EventWorld(unique)
    await create_topic(world.topic, partitions=1)
    await create_topic(dlq_topic(world.topic), partitions=1)

    async def handler(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
        await bump(event, uow)

    running = await start_batch_consumer(
        world, kafka_bootstrap, counters_db, {world.event_type: handler}
    )
    try:
        good = world.event("c-4", amount=7)
        missing_id = {k: v for k, v in good.headers.items() if k != "ce_id"}
        bad_time = {**good.headers, "ce_time": "yesterday"}
        publisher = running.publisher
        await publisher.publish_raw(world.topic, key=b"c-4", value=b"{}", headers=missing_id)
        await publisher.publish_raw(
            world.topic, key=b"c-4", value=b"not json", headers=good.headers
        )
        await publisher.publish_raw(world.topic, key=b"c-4", value=good.value, headers=bad_time)
        wrong_payload = world.event("c-4", amount=1)
        await publisher.publish_raw(
            world.topic,
            key=b"c-4",
            value=b'{"counter_id": "c-4", "amount": -5}',
            headers=wrong_payload.headers,
        )
        await running.publisher.publish(good)

        async def good_handled() -> bool:
            return await counter_value(counters_db, "c-4") == 7

        await eventually(good_handled)
        dead = await read_topic(dlq_topic(world.topic), 4)
        reasons = [_headers(r)["agora-dlq-reason"] for r in dead]
        errors = [_headers(r)["agora-dlq-error"] for r in dead]
        assert reasons == [
            "invalid-envelope",
            "invalid-payload",
            "invalid-envelope",
            "invalid-payload",
        ]
        assert "ce_id" in errors[0]
        assert "ce_time" in errors[2]
        assert "amount" in errors[3]
    finally:
        await running.stop()


async def test_a_huge_poison_is_dead_lettered_truncated_and_the_partition_moves_on(
    kafka_bootstrap: str,
    counters_db: Database,
    unique: str,
    create_topic: Any,
    read_topic: Any,
) -> None:
    world = EventWorld(unique)
    await create_topic(world.topic, partitions=1)
    await create_topic(dlq_topic(world.topic), partitions=1)

    async def handler(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
        await bump(event, uow)

    running = await start_batch_consumer(
        world, kafka_bootstrap, counters_db, {world.event_type: handler}
    )
    try:
        huge = b"x" * (DLQ_VALUE_LIMIT + 50_000)
        poison = world.event("c-9", amount=1)
        await running.publisher.publish_raw(
            world.topic, key=b"c-9", value=huge, headers=poison.headers
        )
        await running.publisher.publish(world.event("c-9", amount=3))

        async def after_it_handled() -> bool:
            return await counter_value(counters_db, "c-9") == 3

        await eventually(after_it_handled)
        [dead] = await read_topic(dlq_topic(world.topic), 1)
        headers = _headers(dead)
        assert headers["agora-dlq-reason"] == "invalid-payload"
        assert headers["agora-dlq-truncated-from"] == str(len(huge))
        assert dead.value == huge[:DLQ_VALUE_LIMIT]
    finally:
        await running.stop()


async def test_unknown_event_types_are_ignored_and_counted(
    kafka_bootstrap: str, counters_db: Database, unique: str, create_topic: Any
) -> None:
    world = EventWorld(unique)
    await create_topic(world.topic, partitions=1)

    async def handler(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
        await bump(event, uow)

    running = await start_batch_consumer(
        world, kafka_bootstrap, counters_db, {world.event_type: handler}
    )
    unknown_type = f"org.agora.{unique}.counter.renamed.v1"
    ignored = {"service": "tests", "topic": world.topic, "type": unknown_type, "outcome": "ignored"}
    try:
        stranger = world.event("c-5")
        headers = {**stranger.headers, "ce_type": unknown_type}
        await running.publisher.publish_raw(
            world.topic, key=b"c-5", value=stranger.value, headers=headers
        )
        await running.publisher.publish(world.event("c-5", amount=2))

        async def handled() -> bool:
            return await counter_value(counters_db, "c-5") == 2

        await eventually(handled)
        assert sample(CONSUMED, **ignored) == 1
    finally:
        await running.stop()
