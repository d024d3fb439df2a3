"""A service whose topics are missing is not ready and says which, until they exist.

The broker never auto-creates topics, so a service started before ``topics apply``
must not pass its readiness probe; it names the missing topics in ``/readyz`` and in
one warning line at start, and becomes ready once they are provisioned.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from core_runtime.notes_service import NotesSettings, build
from structlog.testing import capture_logs

from agora_core.runtime import ServiceRuntime
from agora_core.testing import eventually
from agora_core.testing.event_tap import ensure_topics
from agora_core.testing.service_harness import test_settings

pytestmark = pytest.mark.integration


async def _readyz(runtime: ServiceRuntime) -> tuple[int, dict[str, object]]:
    url = f"http://127.0.0.1:{runtime.http.port}/readyz"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


async def test_missing_topics_make_the_service_not_ready_until_applied(
    kafka_bootstrap: str, postgres_dsn: str, unique: str
) -> None:
    settings = test_settings(
        NotesSettings,
        kafka=kafka_bootstrap,
        postgres_dsn=postgres_dsn,
        topic_domain=f"r{unique}",
    )
    topic = f"agora.r{unique}.notes.v1"
    runtime = await build(settings)
    assert runtime.required_topics() == [topic, f"{topic}.dlq"]
    with capture_logs() as logs:
        starting = asyncio.create_task(runtime.start())
        try:

            async def side_port_serving() -> bool:
                return runtime.topics is not None and runtime.http.port is not None

            await eventually(side_port_serving)
            status, body = await _readyz(runtime)
            assert status == 503
            assert body == {
                "status": "not ready",
                "checks": {"accepting": False, "postgres": True, "kafka": False, "topics": False},
                "details": {"topics": f"missing topics: {topic}, {topic}.dlq"},
            }
            assert not starting.done()  # waits for its topics, never creates them

            await ensure_topics(kafka_bootstrap, [topic])
            await asyncio.wait_for(starting, timeout=60)
            for consumer in runtime.consumers:
                await consumer.wait_for_assignment(60)
            status, body = await _readyz(runtime)
            assert (status, body) == (
                200,
                {
                    "status": "ready",
                    "checks": {"accepting": True, "postgres": True, "kafka": True, "topics": True},
                },
            )
            assert {tp.topic for tp in runtime.consumers[0].assignment} == {topic}
        finally:
            starting.cancel()
            await runtime.stop()
    warnings = [entry for entry in logs if "missing_topics" in entry]
    assert len(warnings) == 1, logs
    assert warnings[0]["log_level"] == "warning"
    assert warnings[0]["missing_topics"] == [topic, f"{topic}.dlq"]
    assert "python -m agora_core.topics apply" in warnings[0]["event"]


async def test_a_stop_ends_the_wait_for_topics(
    kafka_bootstrap: str, postgres_dsn: str, unique: str
) -> None:
    settings = test_settings(
        NotesSettings,
        kafka=kafka_bootstrap,
        postgres_dsn=postgres_dsn,
        topic_domain=f"s{unique}",
    )
    runtime = await build(settings)
    starting = asyncio.create_task(runtime.start())

    async def waiting() -> bool:
        return runtime.topics is not None and runtime.http.port is not None

    await eventually(waiting)
    runtime.request_stop()
    await asyncio.wait_for(starting, timeout=10)
    await runtime.stop()
    assert runtime.grpc_port is None  # nothing but the side port had started
