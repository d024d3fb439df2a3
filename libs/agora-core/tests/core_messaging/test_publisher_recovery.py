"""A producer that can no longer produce is replaced, and publishing goes on.

The state itself came from the fault suite: after a broker restart interrupted a
produce, aiokafka's idempotent producer kept its producer id and sequence numbers and
every later batch of that partition was refused with ``OutOfOrderSequenceNumber``, so
the outbox never drained (tests/faults README, finding 7). That interleaving is rare
and cannot be scheduled; here the real producer's next acknowledgement is made to fail
with that error (fault injection on the client), against the real broker.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.errors import OutOfOrderSequenceNumber

from agora_core.messaging.events import OutgoingEvent
from agora_core.messaging.kafka_connection import create_broker
from agora_core.messaging.publisher import EventPublisher

pytestmark = pytest.mark.integration


def _record(topic: str, n: int) -> OutgoingEvent:
    return OutgoingEvent(
        event_id=f"e-{n}",
        topic=topic,
        key="k",
        headers={"ce_id": f"e-{n}"},
        value=b'{"n": %d}' % n,
    )


async def test_a_fatal_producer_error_replaces_the_producer_and_the_retry_goes_through(
    kafka_bootstrap: str, unique: str, create_topic: Any, read_topic: Any
) -> None:
    topic = await create_topic(f"agora.{unique}.recovery.v1", partitions=1)
    broker = create_broker(kafka_bootstrap, client_id=f"recovery-{unique}")
    await broker.start()
    try:
        publisher = EventPublisher(broker, service="tests")
        await publisher.publish_many([_record(topic, 0)])
        broken = broker.producer
        real_send = broken.send

        async def send_refused_by_the_broker(*args: Any, **kwargs: Any) -> asyncio.Future[Any]:
            await real_send(*args, **kwargs)  # really sent; its acknowledgement fails
            refused: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            refused.set_exception(OutOfOrderSequenceNumber())
            return refused

        broken.send = send_refused_by_the_broker
        with pytest.raises(OutOfOrderSequenceNumber):
            await publisher.publish_many([_record(topic, 1)])
        assert publisher.producers_replaced == 1
        replacement = broker.producer
        assert replacement is not broken
        # The caller's retry (the relay's next round) goes through the new producer.
        await publisher.publish_many([_record(topic, 1), _record(topic, 2)])
        await publisher.publish_raw(topic, key=b"k", value=b'{"n": 3}', headers={"ce_id": "e-3"})
        assert publisher.producers_replaced == 1
        records = await read_topic(topic, 5)
        # At-least-once: record 1 went out twice (the refused send had reached the
        # broker); consumers dedupe on the event id.
        assert [r.value for r in records] == [
            b'{"n": 0}',
            b'{"n": 1}',
            b'{"n": 1}',
            b'{"n": 2}',
            b'{"n": 3}',
        ]
    finally:
        await broker.stop()


async def test_other_errors_leave_the_producer_in_place(
    kafka_bootstrap: str, unique: str, create_topic: Any
) -> None:
    topic = await create_topic(f"agora.{unique}.recovery.v1", partitions=1)
    broker = create_broker(kafka_bootstrap, client_id=f"recovery-{unique}")
    await broker.start()
    try:
        publisher = EventPublisher(broker, service="tests")
        producer = broker.producer
        real_send = producer.send

        async def send_timing_out(*args: Any, **kwargs: Any) -> asyncio.Future[Any]:
            await real_send(*args, **kwargs)
            failed: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            failed.set_exception(TimeoutError("request timed out"))
            return failed

        producer.send = send_timing_out
        with pytest.raises(TimeoutError):
            await publisher.publish_many([_record(topic, 0)])
        assert publisher.producers_replaced == 0
        assert broker.producer is producer
    finally:
        await broker.stop()
