"""A whole service process: start-up, health, API → outbox → Kafka → consumer,
metrics and probes, graceful SIGTERM, and refusal of bad configuration."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import grpc.aio
import psycopg
import pytest
from core_grpc.helpers import DEV_SECRET, caller

from agora.testing.v1 import notes_pb2, notes_pb2_grpc
from agora_contracts.events import CloudEventEnvelope
from agora_core.grpc.probe import check, wait_serving
from agora_core.ports import free_port
from agora_core.testing import SaslListener, eventually

pytestmark = pytest.mark.integration

TESTS_DIR = Path(__file__).resolve().parents[1]
SERVICE = Path(__file__).resolve().parent / "notes_service.py"


@dataclass
class ServiceProcess:
    process: asyncio.subprocess.Process
    grpc_address: str
    http_base: str
    topic: str
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def _environment(kafka: str, postgres_dsn: str, unique: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(TESTS_DIR),
        "AGORA_NOTES_SERVICE_NAME": "notes",
        "AGORA_NOTES_KAFKA_BOOTSTRAP_SERVERS": kafka,
        "AGORA_NOTES_POSTGRES_DSN": postgres_dsn,
        "AGORA_NOTES_POSTGRES_MIGRATE_ON_START": "true",
        "AGORA_NOTES_CONSUMER_GROUP": f"notes-{unique}",
        "AGORA_NOTES_TOPIC_DOMAIN": unique,
        "AGORA_NOTES_DEV_MODE": "true",
        "AGORA_NOTES_JWT_HS256_SECRET": DEV_SECRET,
        "AGORA_NOTES_SHUTDOWN_GRACE_SECONDS": "5",
    }
    env.update(extra)
    return env


async def spawn_notes(
    kafka: str,
    postgres_dsn: str,
    unique: str,
    topic: str,
    log: Path,
    **extra: str,
) -> ServiceProcess:
    grpc_port, http_port = free_port(), free_port()
    env = _environment(
        kafka,
        postgres_dsn,
        unique,
        AGORA_NOTES_GRPC_PORT=str(grpc_port),
        AGORA_NOTES_HTTP_PORT=str(http_port),
        **extra,
    )
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(SERVICE), env=env, stdout=sink, stderr=sink
        )
    return ServiceProcess(
        process, f"127.0.0.1:{grpc_port}", f"http://127.0.0.1:{http_port}", topic, log
    )


@pytest.fixture
async def notes_process(
    kafka_bootstrap: str,
    postgres_dsn: str,
    unique: str,
    create_topic: Any,
    tmp_path: Path,
) -> AsyncIterator[ServiceProcess]:
    topic = await create_topic(f"agora.{unique}.notes.v1")
    await create_topic(f"{topic}.dlq", 1)
    service = await spawn_notes(
        kafka_bootstrap, postgres_dsn, unique, topic, tmp_path / "notes.log"
    )
    status = await wait_serving(service.grpc_address, "", 60)
    assert status == "SERVING", service.log_text()
    yield service
    if service.process.returncode is None:
        service.process.kill()
        await service.process.wait()


async def author_counts(postgres_dsn: str, tenant: str) -> dict[str, int]:
    """The consumer's effect: notes counted per author of ``tenant``."""
    connect = psycopg.AsyncConnection.connect
    async with await connect(postgres_dsn) as connection, connection.transaction():
        await connection.execute("SELECT set_config('agora.tenant_id', %s, true)", (tenant,))
        cursor = await connection.execute("SELECT author_id, notes FROM authors")
        return {author: int(notes) for author, notes in await cursor.fetchall()}


async def _http(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def test_api_call_reaches_kafka_and_the_consumer_through_the_outbox(
    notes_process: ServiceProcess,
    postgres_dsn: str,
    read_topic: Any,
) -> None:
    async with grpc.aio.insecure_channel(notes_process.grpc_address) as channel:
        stub = notes_pb2_grpc.NotesServiceStub(channel)
        reply = await stub.CreateNote(
            notes_pb2.CreateNoteRequest(title="Outbox pattern", body="one write"),
            metadata=caller(subject="ada", tenant="acme", roles=["contributor"]),
            timeout=10,
        )
    note_id = reply.note.note_id
    records = await read_topic(notes_process.topic, 1)
    assert len(records) == 1
    envelope = CloudEventEnvelope.from_headers(records[0].headers)
    assert envelope.subject == note_id
    assert envelope.tenantid == "acme"
    assert envelope.actorid == "ada"
    assert envelope.source == "/agora/notes"
    assert json.loads(records[0].value) == {
        "note_id": note_id,
        "title": "Outbox pattern",
        "author_id": "ada",
    }

    async def counted() -> bool:
        return await author_counts(postgres_dsn, "acme") == {"ada": 1}

    await eventually(counted)
    async with await psycopg.AsyncConnection.connect(postgres_dsn) as connection:
        async with connection.transaction():
            await connection.execute("SELECT set_config('agora.tenant_id', 'acme', true)")
            cursor = await connection.execute(
                "SELECT title FROM notes WHERE note_id = %s", (note_id,)
            )
            assert await cursor.fetchone() == ("Outbox pattern",)
        cursor = await connection.execute("SELECT count(*) FROM outbox")
        assert await cursor.fetchone() == (0,)  # published, then deleted by the relay

    handled = (
        f'agora_events_consumed_total{{outcome="handled",service="notes",'
        f'topic="{notes_process.topic}"'
    )

    async def counted_in_metrics() -> bool:
        # The counter moves once the record's processed mark is written, just after
        # the handler's own effect the test saw above.
        status, text = await _http(f"{notes_process.http_base}/metrics")
        return status == 200 and handled in text

    await eventually(counted_in_metrics, timeout=10)
    status, metrics = await _http(f"{notes_process.http_base}/metrics")
    assert status == 200
    assert handled in metrics
    assert 'agora_outbox_published_total{service="notes"}' in metrics
    assert "agora_grpc_server_handled_total{" in metrics
    assert 'method="CreateNote"' in metrics
    assert "agora_event_handler_seconds_bucket" in metrics

    async def lag_exported() -> bool:
        # set when finished offsets are committed (every 100 ms), so poll for it
        _status, latest = await _http(f"{notes_process.http_base}/metrics")
        return any(
            line.startswith("agora_consumer_lag{") and notes_process.topic in line
            for line in latest.splitlines()
        )

    await eventually(lag_exported, timeout=10)
    assert (await _http(f"{notes_process.http_base}/healthz"))[0] == 200
    ready_status, ready_body = await _http(f"{notes_process.http_base}/readyz")
    assert ready_status == 200, ready_body
    assert json.loads(ready_body)["checks"] == {
        "accepting": True,
        "postgres": True,
        "kafka": True,
        "topics": True,
    }


async def test_sigterm_stops_gracefully(notes_process: ServiceProcess) -> None:
    notes_process.process.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(notes_process.process.wait(), timeout=30)
    assert code == 0, notes_process.log_text()
    log = notes_process.log_text()
    assert '"event": "stop requested"' in log
    assert '"event": "service stopped"' in log
    assert await check(notes_process.grpc_address, timeout=1) == "UNREACHABLE"


async def test_invalid_configuration_stops_start_up_naming_the_variable(
    kafka_bootstrap: str, unique: str
) -> None:
    env = _environment(
        kafka_bootstrap, "postgresql://unused", unique, AGORA_NOTES_GRPC_PORT="fifty"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SERVICE),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 2
    assert "AGORA_NOTES_GRPC_PORT" in err.decode()
    assert DEV_SECRET not in err.decode()


def _sasl(listener: SaslListener, password: str) -> dict[str, str]:
    return {
        "AGORA_NOTES_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "AGORA_NOTES_KAFKA_SASL_MECHANISM": "PLAIN",
        "AGORA_NOTES_KAFKA_SASL_USERNAME": listener.username,
        "AGORA_NOTES_KAFKA_SASL_PASSWORD": password,
    }


async def test_a_service_logs_in_to_kafka_with_sasl(
    kafka_sasl: SaslListener,
    postgres_dsn: str,
    unique: str,
    create_topic: Any,
    read_topic: Any,
    tmp_path: Path,
) -> None:
    """Consumers, producer and readiness over a listener that requires a login; the
    password never reaches the log."""
    topic = await create_topic(f"agora.{unique}.notes.v1")
    service = await spawn_notes(
        kafka_sasl.address,
        postgres_dsn,
        unique,
        topic,
        tmp_path / "notes.log",
        **_sasl(kafka_sasl, kafka_sasl.password),
    )
    try:
        assert await wait_serving(service.grpc_address, "", 60) == "SERVING", service.log_text()
        async with grpc.aio.insecure_channel(service.grpc_address) as channel:
            stub = notes_pb2_grpc.NotesServiceStub(channel)
            await stub.CreateNote(
                notes_pb2.CreateNoteRequest(title="Over SASL", body="a login"),
                metadata=caller(subject="ada", tenant="acme", roles=["contributor"]),
                timeout=10,
            )
        assert len(await read_topic(topic, 1)) == 1  # published through the SASL login

        async def consumed_and_ready() -> bool:
            status, _ = await _http(f"{service.http_base}/readyz")
            return await author_counts(postgres_dsn, "acme") == {"ada": 1} and status == 200

        await eventually(consumed_and_ready, timeout=30)
    finally:
        service.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(service.process.wait(), timeout=30)
    assert kafka_sasl.password not in service.log_text()


async def test_a_refused_kafka_login_stops_start_up_with_one_clear_line(
    kafka_sasl: SaslListener,
    postgres_dsn: str,
    unique: str,
    tmp_path: Path,
) -> None:
    wrong = "not-the-password-" + unique
    service = await spawn_notes(
        kafka_sasl.address,
        postgres_dsn,
        unique,
        f"agora.{unique}.notes.v1",
        tmp_path / "notes.log",
        **_sasl(kafka_sasl, wrong),
    )
    code = await asyncio.wait_for(service.process.wait(), timeout=90)
    log = service.log_text()
    assert code == 1, log
    assert '"event": "start-up failed"' in log, log
    assert "Authentication failed" in log, log  # the broker's reason is in the log
    assert wrong not in log
    assert "Traceback" not in log
