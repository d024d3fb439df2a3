"""The in-process harness runs a real service: gRPC on a free port, outbox to Kafka,
its consumer assigned before the test goes on."""

from __future__ import annotations

import gc

import grpc
import pytest
from core_runtime.notes_service import NotesSettings, build
from core_runtime.test_service_process import author_counts

from agora.testing.v1 import notes_pb2, notes_pb2_grpc
from agora_core.postgres.channel_watch import ChannelWatch
from agora_core.privacy.postgres import ERASED_CHANNEL
from agora_core.runtime import ServiceRuntime
from agora_core.testing import eventually
from agora_core.testing.event_tap import tapping
from agora_core.testing.grpc_assertions import assert_status, caller, rpc_error
from agora_core.testing.service_harness import channel_to, running_service, test_settings

pytestmark = pytest.mark.integration


async def test_running_service_serves_publishes_and_consumes(
    kafka_bootstrap: str, postgres_dsn: str, unique: str
) -> None:
    settings = test_settings(
        NotesSettings,
        kafka=kafka_bootstrap,
        postgres_dsn=postgres_dsn,
        topic_domain=f"h{unique}",
    )
    assert settings.grpc_port == 0
    assert settings.dev_mode
    topic = f"agora.h{unique}.notes.v1"
    async with (
        tapping(kafka_bootstrap, [topic]) as tap,
        running_service(build, settings) as runtime,
        channel_to(runtime) as channel,
    ):
        assert all(consumer.assignment for consumer in runtime.consumers)
        stub = notes_pb2_grpc.NotesServiceStub(channel)
        tenant = f"t-{unique}"
        created = await stub.CreateNote(
            notes_pb2.CreateNoteRequest(title="Harness"),
            metadata=caller(["contributor"], tenant=tenant, subject="ada"),
        )
        [event] = await tap.wait_for(f"org.agora.h{unique}.note.created.v1", tenant=tenant)
        assert event.envelope.subject == created.note.note_id

        async def counted() -> bool:
            return await author_counts(postgres_dsn, tenant) == {"ada": 1}

        await eventually(counted)
        error = await rpc_error(
            stub.DeleteNote(
                notes_pb2.DeleteNoteRequest(note_id=created.note.note_id),
                metadata=caller(["contributor"], tenant=tenant),
            )
        )
        assert_status(error, grpc.StatusCode.PERMISSION_DENIED)


async def test_a_started_service_freezes_its_start_up_heap_and_a_stopped_one_thaws_it(
    kafka_bootstrap: str, postgres_dsn: str, unique: str
) -> None:
    # Frozen objects are skipped by the collector's full passes (bench/README.md: one
    # over a service's start-up heap took 41-56 ms, inside whichever call was running).
    settings = test_settings(
        NotesSettings, kafka=kafka_bootstrap, postgres_dsn=postgres_dsn, topic_domain=f"f{unique}"
    )
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    async with running_service(build, settings):
        frozen = gc.get_freeze_count()
        assert frozen > 50_000, frozen  # grpc, protobuf, pydantic, psycopg, aiokafka...
    assert gc.get_freeze_count() == 0


async def test_a_service_follows_its_channels_on_one_listen_connection(
    kafka_bootstrap: str, postgres_dsn: str, unique: str
) -> None:
    # The relay's wake-ups and a watched channel (the erased callers' in the services)
    # share one connection per process, whatever the number of channels.
    settings = test_settings(
        NotesSettings, kafka=kafka_bootstrap, postgres_dsn=postgres_dsn, topic_domain=f"l{unique}"
    )
    watches: list[ChannelWatch] = []

    async def build_watching(settings: NotesSettings) -> ServiceRuntime:
        runtime = await build(settings)
        watches.append(runtime.watch_channel(ERASED_CHANNEL))
        return runtime

    async with running_service(build_watching, settings) as runtime:

        async def listening() -> bool:
            return watches[0].listening

        await eventually(listening, timeout=10)
        async with runtime.require_postgres().pool.connection() as connection:
            # The pool's connections are named agora-<service>; any other connection
            # of the process, agora-<service>-<what>.
            cursor = await connection.execute(
                "SELECT application_name, count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND starts_with(application_name, %s) "
                "GROUP BY application_name",
                (f"agora-{runtime.service}-",),
            )
            others: dict[str, int] = dict(await cursor.fetchall())
    assert others == {f"agora-{runtime.service}-listen": 1}
