"""Fixtures shared by every test layer: the real Kafka broker and PostgreSQL.

All are started once per run by ``tools/test.sh`` (``make infra-up`` to run pytest by
hand) in the test environment: state in ``.agora-test/``, Kafka 29092 (SASL 29094),
PostgreSQL 25432 -- never the developer's platform (``make up``).
Defaults come from ``agora_platform.testenv`` (the mirror of ``tools/test-env.sh``);
AGORA_TEST_KAFKA, AGORA_TEST_KAFKA_SASL and AGORA_TEST_POSTGRES_DSN override them. Every
test gets its own database and its own topics, so tests never see each other's data.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord

from agora_core.testing import SaslListener
from agora_core.testing.event_tap import ensure_topics
from agora_core.testing.postgres import (
    create_test_database,
    drop_test_database,
    ensure_test_role,
)
from agora_platform.testenv import suite_environment

SUITE = suite_environment(Path(__file__).resolve().parent, os.environ)
KAFKA = os.environ.get("AGORA_TEST_KAFKA") or SUITE.kafka_bootstrap
# The same broker's SASL_PLAINTEXT listener (deploy/local/kafka.sh, AGORA_KAFKA_SASL_PORT,
# which tools/test-env.sh sets) and its one PLAIN user.
KAFKA_SASL = os.environ.get("AGORA_TEST_KAFKA_SASL") or SUITE.kafka_sasl
KAFKA_SASL_USERNAME = os.environ.get("AGORA_KAFKA_SASL_USERNAME", "agora-local")
KAFKA_SASL_PASSWORD = os.environ.get("AGORA_KAFKA_SASL_PASSWORD", "agora-local-sasl-password")
# The superuser of the test environment's PostgreSQL (deploy/local/postgres.sh).
POSTGRES_ADMIN_DSN = os.environ.get("AGORA_TEST_POSTGRES_DSN") or SUITE.postgres_dsn


def _reachable(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


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
            f"with AGORA_KAFKA_SASL_PORT={KAFKA_SASL.rpartition(':')[2]} (tools/test-env.sh "
            "does; `make infra-down infra-up` restarts it with the listener)"
        )
    return SaslListener(KAFKA_SASL, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD)


@pytest.fixture(scope="session")
async def postgres_admin_dsn() -> str:
    """The test server's superuser DSN (creates and drops the tests' databases). The
    server also has one database and login role per service (``agora_<service>``,
    password ``agora-local-<service>``: deploy/local/postgres.sh)."""
    try:
        async with await psycopg.AsyncConnection.connect(POSTGRES_ADMIN_DSN, connect_timeout=5):
            pass
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL is not reachable with AGORA_TEST_POSTGRES_DSN ({error}): "
            "run `make infra-up` first"
        )
    await ensure_test_role(POSTGRES_ADMIN_DSN)
    return POSTGRES_ADMIN_DSN


@pytest.fixture
async def postgres_dsn(postgres_admin_dsn: str) -> AsyncIterator[str]:
    """A database of this test's own, reached with an ordinary role (RLS applies)."""
    name, dsn = await create_test_database(postgres_admin_dsn)
    yield dsn
    await drop_test_database(postgres_admin_dsn, name)


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
