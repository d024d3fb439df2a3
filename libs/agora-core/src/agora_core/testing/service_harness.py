"""Run a service in-process against the real broker and database, on free ports.

Every service's integration tests use the same two steps::

    settings = test_settings(CatalogSettings, kafka=kafka_bootstrap, postgres_dsn=postgres_dsn)
    async with running_service(build, settings) as runtime:
        stub = CatalogServiceStub(channel_to(runtime))
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import grpc.aio

from agora_core.runtime import ServiceRuntime
from agora_core.settings import ServiceSettings, load_settings
from agora_core.testing.event_tap import ensure_topics
from agora_core.testing.grpc_assertions import DEV_SECRET

RUN_ID = uuid.uuid4().hex[:8]
"""One id per test run: consumer groups are per run, so a run never resumes another's."""

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def test_settings(
    cls: type[SettingsT],
    *,
    kafka: str,
    **overrides: object,
) -> SettingsT:
    """Dev-mode settings of a test instance: free ports, short retries, a per-run group.

    Pass ``postgres_dsn=…`` (the schema is then migrated at start). Instances built in one
    run share their consumer group (as replicas and restarts of one deployment do);
    pass ``consumer_group`` to isolate one.
    """
    service = str(cls.model_fields["service_name"].default)
    values: dict[str, object] = {
        "kafka_bootstrap_servers": kafka,
        "grpc_port": 0,
        "http_port": 0,
        "dev_mode": True,
        "jwt_hs256_secret": DEV_SECRET,
        "consumer_group": f"agora-{service}-test-{RUN_ID}",
        "outbox_poll_interval_ms": 250,
        "consumer_retry_backoff_ms": 20,
        "consumer_retry_backoff_max_ms": 200,
        "shutdown_grace_seconds": 5.0,
    }
    if "postgres_dsn" in overrides:
        values["postgres_migrate_on_start"] = True
    if "public_port" in cls.model_fields:  # a service's public endpoint, if it has one
        values["public_port"] = 0
    values.update(overrides)
    return load_settings(cls, **values)


test_settings.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


@contextlib.asynccontextmanager
async def running_service(
    build: Callable[[SettingsT], Awaitable[ServiceRuntime]],
    settings: SettingsT,
    *,
    assignment_timeout: float = 60.0,
) -> AsyncIterator[ServiceRuntime]:
    """Build and start the service, wait until its consumers own partitions, stop after.

    Its topics are provisioned first (a no-op for the platform's, which ``infra.sh up``
    provisions; a test registry's own topics are created here).
    """
    runtime = await build(settings)
    await ensure_topics(settings.kafka_bootstrap_servers, runtime.required_topics())
    await runtime.start()
    try:
        for consumer in runtime.consumers:
            await consumer.wait_for_assignment(assignment_timeout)
        yield runtime
    finally:
        await runtime.stop()


def channel_to(runtime: ServiceRuntime) -> grpc.aio.Channel:
    """A loopback channel to the runtime's gRPC server (close it, or use ``async with``)."""
    assert runtime.grpc_port is not None, "the runtime has no gRPC API or is not started"
    return grpc.aio.insecure_channel(f"127.0.0.1:{runtime.grpc_port}")
