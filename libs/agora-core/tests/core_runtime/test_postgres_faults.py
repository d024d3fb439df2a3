"""The Notes service process against PostgreSQL faults: down at start, restarted
mid-stream, and the service itself killed mid-stream. Counts add one per event, so
the exact totals below catch a lost event and a doubled one alike."""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import grpc.aio
import pytest
from core_grpc.helpers import caller
from core_messaging.harness import start_publisher

from agora.testing.v1 import notes_pb2, notes_pb2_grpc
from agora_core.grpc.probe import wait_serving
from agora_core.messaging.events import OutgoingEvent
from agora_core.testing import eventually
from core_runtime.notes_service import NoteCreated, notes_registry
from core_runtime.private_postgres import PrivatePostgres
from core_runtime.test_service_process import ServiceProcess, author_counts, spawn_notes

pytestmark = pytest.mark.integration

AUTHORS = 8


def _stream(unique: str, count: int) -> tuple[list[OutgoingEvent], dict[str, int]]:
    registry = notes_registry(unique)
    events = []
    for i in range(count):
        author = f"author-{i % AUTHORS}"
        note_id = uuid.uuid4().hex
        events.append(
            OutgoingEvent.create(
                NoteCreated(note_id=note_id, title=f"note {i}", author_id=author),
                source="/agora/notes",
                subject=note_id,
                key=author,
                tenant_id="acme",
                actor_id=author,
                registry=registry,
            )
        )
    return events, dict(Counter(f"author-{i % AUTHORS}" for i in range(count)))


async def _publish(kafka: str, unique: str, events: list[OutgoingEvent]) -> None:
    broker, publisher = await start_publisher(kafka, unique)
    try:
        await publisher.publish_many(events)
    finally:
        await broker.stop()


async def _topics(create_topic: Any, unique: str) -> str:
    topic = str(await create_topic(f"agora.{unique}.notes.v1", 3))
    await create_topic(f"{topic}.dlq", 1)
    return topic


async def _readyz(service: ServiceProcess) -> tuple[int, dict[str, Any]]:
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{service.http_base}/readyz") as response,
        ):
            return response.status, json.loads(await response.text())
    except aiohttp.ClientError:
        return 0, {}


async def _stop(service: ServiceProcess) -> None:
    if service.process.returncode is None:
        service.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(service.process.wait(), timeout=60)


async def test_database_down_at_start_makes_the_service_wait_not_ready(
    kafka_bootstrap: str, unique: str, create_topic: Any, tmp_path: Path
) -> None:
    topic = await _topics(create_topic, unique)
    database = PrivatePostgres.in_dir(tmp_path / "pg")
    service = await spawn_notes(
        kafka_bootstrap, database.catalog_dsn, unique, topic, tmp_path / "notes.log"
    )
    try:

        async def not_ready_on_postgres() -> bool:
            status, body = await _readyz(service)
            return status == 503 and body.get("checks", {}).get("postgres") is False

        await eventually(not_ready_on_postgres, timeout=60)
        await asyncio.sleep(3)  # several retries' worth
        assert service.process.returncode is None, service.log_text()
        assert service.log_text().count("postgres unreachable") == 1, service.log_text()

        await database.start()
        assert await wait_serving(service.grpc_address, "", 90) == "SERVING", service.log_text()
        async with grpc.aio.insecure_channel(service.grpc_address) as channel:
            stub = notes_pb2_grpc.NotesServiceStub(channel)
            await stub.CreateNote(
                notes_pb2.CreateNoteRequest(title="after the outage"),
                metadata=caller(subject="ada", tenant="acme", roles=["contributor"]),
                timeout=10,
            )

        async def counted() -> bool:
            return await author_counts(database.catalog_dsn, "acme") == {"ada": 1}

        await eventually(counted, timeout=60)
        assert "Traceback" not in service.log_text()
    finally:
        await _stop(service)
        await database.stop()


async def test_sigterm_while_the_database_is_down_stops_at_once(
    kafka_bootstrap: str, unique: str, create_topic: Any, tmp_path: Path
) -> None:
    """Not when the database answers: an orchestrator's stop is honoured while waiting."""
    topic = await _topics(create_topic, unique)
    database = PrivatePostgres.in_dir(tmp_path / "pg")  # never started
    service = await spawn_notes(
        kafka_bootstrap, database.catalog_dsn, unique, topic, tmp_path / "notes.log"
    )

    async def waiting_for_postgres() -> bool:
        status, body = await _readyz(service)
        return status == 503 and body.get("checks", {}).get("postgres") is False

    await eventually(waiting_for_postgres, timeout=60)
    service.process.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(service.process.wait(), timeout=30)
    log = service.log_text()
    assert code == 0, log
    assert '"event": "stop requested"' in log, log
    assert '"event": "service stopped"' in log, log
    assert "Traceback" not in log


async def test_database_restarted_mid_stream_loses_and_doubles_nothing(
    kafka_bootstrap: str, unique: str, create_topic: Any, tmp_path: Path
) -> None:
    topic = await _topics(create_topic, unique)
    database = PrivatePostgres.in_dir(tmp_path / "pg")
    await database.start()
    service = await spawn_notes(
        kafka_bootstrap,
        database.catalog_dsn,
        unique,
        topic,
        tmp_path / "notes.log",
        AGORA_NOTES_CONSUMER_MAX_RECORDS="20",  # many small batches: the stop lands mid-stream
        AGORA_NOTES_POSTGRES_POOL_TIMEOUT_SECONDS="1",
    )
    events, expected = _stream(unique, 600)
    try:
        assert await wait_serving(service.grpc_address, "", 90) == "SERVING", service.log_text()
        await _publish(kafka_bootstrap, unique, events)

        async def some_counted() -> bool:
            return sum((await author_counts(database.catalog_dsn, "acme")).values()) > 0

        await eventually(some_counted, timeout=60)
        await database.stop()
        await asyncio.sleep(3)
        await database.start()

        async def all_counted() -> bool:
            return sum((await author_counts(database.catalog_dsn, "acme")).values()) >= 600

        await eventually(all_counted, timeout=120)
        await asyncio.sleep(1)  # nothing more may arrive
        assert await author_counts(database.catalog_dsn, "acme") == expected
        # The stop landed mid-stream: the consumer met the outage and waited it out.
        assert "infrastructure unavailable, retrying" in service.log_text()
        assert service.process.returncode is None, service.log_text()
        assert "dead-lettered" not in service.log_text()
    finally:
        await _stop(service)
        await database.stop()


async def test_service_killed_mid_stream_resumes_with_effects_once(
    kafka_bootstrap: str, postgres_dsn: str, unique: str, create_topic: Any, tmp_path: Path
) -> None:
    topic = await _topics(create_topic, unique)
    events, expected = _stream(unique, 600)

    async def spawn(name: str) -> ServiceProcess:
        service = await spawn_notes(
            kafka_bootstrap,
            postgres_dsn,
            unique,
            topic,
            tmp_path / name,
            AGORA_NOTES_CONSUMER_MAX_RECORDS="20",
        )
        assert await wait_serving(service.grpc_address, "", 90) == "SERVING", service.log_text()
        return service

    first = await spawn("first.log")
    await _publish(kafka_bootstrap, unique, events)

    async def some_counted() -> bool:
        return sum((await author_counts(postgres_dsn, "acme")).values()) > 0

    await eventually(some_counted, timeout=60)
    first.process.send_signal(signal.SIGKILL)  # no drain, no offset commit, no flush
    await first.process.wait()
    counted_at_kill = sum((await author_counts(postgres_dsn, "acme")).values())
    second = await spawn("second.log")
    try:

        async def all_counted() -> bool:
            return sum((await author_counts(postgres_dsn, "acme")).values()) >= 600

        await eventually(all_counted, timeout=120)
        await asyncio.sleep(1)
        assert await author_counts(postgres_dsn, "acme") == expected
        assert counted_at_kill < 600  # the kill did land mid-stream
    finally:
        await _stop(second)
