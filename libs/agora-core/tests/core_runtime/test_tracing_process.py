"""One trace through a whole service process: a traced gRPC client calls CreateNote,
the note and its event commit together (outbox), the relay publishes the event, the
service's batch consumer handles it — every span exported over OTLP/HTTP to a real
receiver, all in the client's trace, and the event's envelope carrying it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc.aio
import pytest
from core_grpc.helpers import caller
from core_tracing.recording import recording
from opentelemetry.trace import SpanKind

from agora.testing.v1 import notes_pb2, notes_pb2_grpc
from agora_contracts.events import CloudEventEnvelope
from agora_core.grpc.client import tracing_interceptors
from agora_core.grpc.probe import wait_serving
from agora_core.testing import eventually
from agora_core.testing.otlp_receiver import CollectedSpan, OtlpReceiver, connected
from agora_core.tracing import tracer
from core_runtime.test_service_process import ServiceProcess, author_counts, spawn_notes

pytestmark = pytest.mark.integration


@pytest.fixture
async def receiver() -> AsyncIterator[OtlpReceiver]:
    collector = OtlpReceiver()
    await collector.start()
    yield collector
    await collector.stop()


@pytest.fixture
async def traced_notes(
    kafka_bootstrap: str,
    postgres_dsn: str,
    unique: str,
    create_topic: Any,
    tmp_path: Path,
    receiver: OtlpReceiver,
) -> AsyncIterator[ServiceProcess]:
    topic = await create_topic(f"agora.{unique}.notes.v1")
    await create_topic(f"{topic}.dlq", 1)
    service = await spawn_notes(
        kafka_bootstrap,
        postgres_dsn,
        unique,
        topic,
        tmp_path / "notes.log",
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
        OTEL_BSP_SCHEDULE_DELAY="100",
        OTEL_SERVICE_NAME="notes-under-test",
    )
    status = await wait_serving(service.grpc_address, "", 60)
    assert status == "SERVING", service.log_text()
    yield service
    if service.process.returncode is None:
        service.process.kill()
        await service.process.wait()


def _names(spans: list[CollectedSpan]) -> list[str]:
    return sorted(s.name for s in spans)


async def test_one_trace_from_the_grpc_call_through_kafka_to_the_consumer(
    traced_notes: ServiceProcess, receiver: OtlpReceiver, postgres_dsn: str, read_topic: Any
) -> None:
    with recording() as client_spans:
        async with grpc.aio.insecure_channel(
            traced_notes.grpc_address, interceptors=tracing_interceptors()
        ) as channel:
            stub = notes_pb2_grpc.NotesServiceStub(channel)
            with tracer().start_as_current_span("user clicks save") as root:
                await stub.CreateNote(
                    notes_pb2.CreateNoteRequest(title="Traced", body="end to end"),
                    metadata=caller(subject="ada", tenant="acme", roles=["contributor"]),
                    timeout=10,
                )
    trace_id = f"{root.get_span_context().trace_id:032x}"
    root_id = f"{root.get_span_context().span_id:016x}"
    (client,) = [s for s in client_spans.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert client.name == "agora.testing.v1.NotesService/CreateNote"

    (record,) = await read_topic(traced_notes.topic, 1)
    envelope = CloudEventEnvelope.from_headers(record.headers)
    assert envelope.traceparent is not None
    assert envelope.traceparent.split("-")[1] == trace_id
    assert envelope.dataschema is not None
    assert envelope.dataschema.endswith(f"/{envelope.type}.json")

    def in_trace() -> list[CollectedSpan]:
        return [s for s in receiver.spans if s.trace_id == trace_id]

    async def consumer_finished() -> bool:
        names = _names(in_trace())
        return f"process {envelope.type}" in names and len(names) >= 7

    await eventually(consumer_finished, timeout=60)
    await eventually(lambda: _count(postgres_dsn), timeout=30)
    spans = in_trace()
    by_name = {s.name: s for s in spans}
    server = by_name["agora.testing.v1.NotesService/CreateNote"]
    outbox = by_name["outbox write"]
    publish = by_name[f"publish {traced_notes.topic}"]
    process = by_name[f"process {envelope.type}"]
    assert server.service == "notes-under-test"
    assert server.parent_span_id == f"{client.context.span_id:016x}"
    assert outbox.parent_span_id == server.span_id
    # The event was created in the call's span: publish and processing both follow it.
    assert publish.parent_span_id == server.span_id == envelope.traceparent.split("-")[2]
    assert process.parent_span_id == server.span_id
    assert process.attributes["cloudevents.event_id"] == str(envelope.id)
    statements = [s for s in spans if s.name.endswith(" postgresql")]
    assert {s.parent_span_id for s in statements} >= {server.span_id, process.span_id}
    assert any(s.attributes["db.operation.name"] == "INSERT" for s in statements)
    # client → server → … : one tree under the caller's root span.
    client_id = f"{client.context.span_id:016x}"
    assert connected(spans, root_parent=client_id), _names(spans)
    assert client.parent is not None
    assert f"{client.parent.span_id:016x}" == root_id


async def _count(postgres_dsn: str) -> bool:
    return (await author_counts(postgres_dsn, "acme")).get("ada") == 1
