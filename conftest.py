"""Fixtures shared by every test layer: the real Kafka broker and MongoDB-protocol server.

Both are started once per run by ``tools/test.sh`` (``deploy/local/infra.sh up``);
their addresses can be overridden with AGORA_TEST_KAFKA and AGORA_TEST_MONGO_URI.
Every test gets its own database and its own topics, so tests never see each
other's data.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from agora_core.storage import Document, create_mongo_client
from agora_core.testing import SaslListener
from agora_core.testing.event_tap import ensure_topics

KAFKA = os.environ.get("AGORA_TEST_KAFKA", "127.0.0.1:19092")
# The same broker's SASL_PLAINTEXT listener (deploy/local/kafka.sh, AGORA_KAFKA_SASL_PORT,
# which tools/test.sh sets) and its one PLAIN user.
KAFKA_SASL = os.environ.get("AGORA_TEST_KAFKA_SASL", "127.0.0.1:19094")
KAFKA_SASL_USERNAME = os.environ.get("AGORA_KAFKA_SASL_USERNAME", "agora-local")
KAFKA_SASL_PASSWORD = os.environ.get("AGORA_KAFKA_SASL_PASSWORD", "agora-local-sasl-password")
MONGO_URI = os.environ.get("AGORA_TEST_MONGO_URI", "mongodb://127.0.0.1:27018/")


def _reachable(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


def _mongo_address() -> str:
    return MONGO_URI.split("//", 1)[1].split("/", 1)[0]


@pytest.fixture(scope="session")
def kafka_bootstrap() -> str:
    if not _reachable(KAFKA):
        pytest.fail(f"Kafka is not reachable at {KAFKA}: run `make infra-up` first")
    return KAFKA


@pytest.fixture(scope="session")
def kafka_sasl(kafka_bootstrap: str) -> SaslListener:
    if not _reachable(KAFKA_SASL):
        pytest.fail(
            f"Kafka's SASL listener is not reachable at {KAFKA_SASL}: start the broker "
            "with AGORA_KAFKA_SASL_PORT=19094 (tools/test.sh does; `make infra-down "
            "infra-up` restarts it with the listener)"
        )
    return SaslListener(KAFKA_SASL, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD)


@pytest.fixture(scope="session")
def mongo_uri() -> str:
    if not _reachable(_mongo_address()):
        pytest.fail(f"FerretDB is not reachable at {MONGO_URI}: run `make infra-up` first")
    return MONGO_URI


@pytest.fixture
async def mongo_client(mongo_uri: str) -> AsyncIterator[AsyncMongoClient[Document]]:
    client = create_mongo_client(mongo_uri)
    yield client
    await client.close()


@pytest.fixture
async def database(
    mongo_client: AsyncMongoClient[Document],
) -> AsyncIterator[AsyncDatabase[Document]]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    yield mongo_client[name]
    await mongo_client.drop_database(name)


@pytest.fixture
def unique() -> str:
    """A short random token for names (topics, groups) unique to this test."""
    return f"t{uuid.uuid4().hex[:10]}"


TopicFactory = Callable[..., Awaitable[str]]


@pytest.fixture
def create_topic(kafka_bootstrap: str) -> TopicFactory:
    """Create a test's own topic and its ``.dlq`` (the broker never auto-creates)."""

    async def create(name: str, partitions: int = 3) -> str:
        await ensure_topics(kafka_bootstrap, [name], partitions)
        return name

    return create


RecordReader = Callable[..., Awaitable[list[ConsumerRecord[Any, Any]]]]


@pytest.fixture
def read_topic(kafka_bootstrap: str) -> RecordReader:
    """Read records of a topic from the beginning until ``count`` arrived or timeout."""

    async def read(topic: str, count: int, timeout: float = 30.0) -> list[ConsumerRecord[Any, Any]]:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=kafka_bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
        )
        await consumer.start()
        records: list[ConsumerRecord[Any, Any]] = []
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while len(records) < count and loop.time() < deadline:
                batch = await consumer.getmany(timeout_ms=500)
                for partition_records in batch.values():
                    records.extend(partition_records)
        finally:
            await consumer.stop()
        return records

    return read
