"""What every server gets for free: health checking, reflection, metrics, shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client import REGISTRY

from agora.testing.v1 import notes_pb2
from core_grpc.conftest import NotesEndpoint, StartNotes
from core_grpc.helpers import assert_status, caller, rpc_error
from core_grpc.notes_servicer import NOTES_SERVICE_NAME

pytestmark = pytest.mark.integration

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def test_health_check_is_serving_for_the_service_and_the_server(
    notes: NotesEndpoint,
) -> None:
    health = health_pb2_grpc.HealthStub(notes.channel)
    for service in (NOTES_SERVICE_NAME, ""):
        # No token: probes run before anyone logs in.
        response = await health.Check(health_pb2.HealthCheckRequest(service=service))
        assert response.status == SERVING, service
    unknown = health_pb2.HealthCheckRequest(service="agora.nothing.v1.NothingService")
    assert_status(await rpc_error(health.Check(unknown)), grpc.StatusCode.NOT_FOUND)


async def test_health_turns_not_serving_when_the_server_stops(start_notes: StartNotes) -> None:
    notes = await start_notes()
    health = health_pb2_grpc.HealthStub(notes.channel)
    watch = health.Watch(health_pb2.HealthCheckRequest(service=NOTES_SERVICE_NAME))
    assert (await watch.read()).status == SERVING
    stopping = asyncio.create_task(notes.server.stop(0.5))
    assert (await asyncio.wait_for(watch.read(), 5)).status == NOT_SERVING
    await stopping


async def _list_services_request() -> AsyncIterator[reflection_pb2.ServerReflectionRequest]:
    yield reflection_pb2.ServerReflectionRequest(list_services="")


async def test_reflection_lists_the_hosted_services(notes: NotesEndpoint) -> None:
    reflection = reflection_pb2_grpc.ServerReflectionStub(notes.channel)
    responses = [r async for r in reflection.ServerReflectionInfo(_list_services_request())]
    names = {s.name for s in responses[0].list_services_response.service}
    assert names == {
        NOTES_SERVICE_NAME,
        # Every Agora server also hosts the operators' service (agora_core.grpc.server).
        "agora.admin.v1.OperationsService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    }


def _sample(name: str, method: str, code: str) -> float:
    labels = {"service": NOTES_SERVICE_NAME, "method": method, "code": code}
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_metrics_count_calls_by_final_code(notes: NotesEndpoint) -> None:
    def counts() -> dict[str, float]:
        return {
            code: _sample("agora_grpc_server_handled_total", "GetNote", code)
            for code in ("OK", "NOT_FOUND", "UNAUTHENTICATED")
        }

    before = counts()
    latency_before = _sample("agora_grpc_server_handling_seconds_count", "GetNote", "OK")
    created = await notes.stub.CreateNote(notes_pb2.CreateNoteRequest(title="t"), metadata=caller())
    found = notes_pb2.GetNoteRequest(note_id=created.note.note_id)
    await notes.stub.GetNote(found, metadata=caller())
    await notes.stub.GetNote(found, metadata=caller())
    missing = notes_pb2.GetNoteRequest(note_id="missing")
    await rpc_error(notes.stub.GetNote(missing, metadata=caller()))
    await rpc_error(notes.stub.GetNote(missing))

    after = counts()
    assert {code: after[code] - before[code] for code in after} == {
        "OK": 2,
        "NOT_FOUND": 1,
        "UNAUTHENTICATED": 1,
    }
    assert _sample("agora_grpc_server_handling_seconds_count", "GetNote", "OK") == (
        latency_before + 2
    )
