"""Builds the community service: the only place that knows every concrete class."""

from __future__ import annotations

from agora.community.v1 import community_pb2_grpc, privacy_pb2_grpc
from agora_community.adapters.postgres.erasure import ERASURE_STEPS, NOT_PERSONAL
from agora_community.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_community.entrypoints.erasure_grpc import (
    PRIVACY_POLICY,
    PRIVACY_SERVICE_NAME,
    PrivacyServicer,
)
from agora_community.entrypoints.events import TOPICS, engagement_handlers, event_handlers
from agora_community.entrypoints.grpc_api import (
    COMMUNITY_POLICY,
    COMMUNITY_SERVICE_NAME,
    CommunityServicer,
)
from agora_community.migrations import MIGRATIONS
from agora_community.settings import CommunitySettings
from agora_core.grpc.server import ServiceRegistration, create_grpc_server
from agora_core.privacy.postgres import PostgresPersonEraser, with_erasure_batch
from agora_core.runtime import ServiceRuntime


async def build(settings: CommunitySettings) -> ServiceRuntime:
    """The runtime with its PostgreSQL database, the consumer (erasure included) and the
    gRPC server (refusing erased callers)."""
    runtime = ServiceRuntime(settings, migrations=MIGRATIONS)
    database = runtime.require_postgres()
    uows = PostgresUnitOfWorkFactory(database)
    eraser = PostgresPersonEraser(database, ERASURE_STEPS, not_personal=NOT_PERSONAL)
    half_life = settings.trending_half_life_hours
    topics, handlers, set_handlers = with_erasure_batch(
        TOPICS,
        event_handlers(half_life),
        eraser,
        set_handlers=engagement_handlers(half_life),
    )
    runtime.add_batch_consumer(topics, handlers, set_handlers=set_handlers)
    runtime.set_api(
        create_grpc_server(
            settings,
            registrations=[
                ServiceRegistration(
                    community_pb2_grpc.add_CommunityServiceServicer_to_server,
                    CommunityServicer(uows, settings),
                ),
                ServiceRegistration(
                    privacy_pb2_grpc.add_PrivacyServiceServicer_to_server, PrivacyServicer(uows)
                ),
            ],
            policy=COMMUNITY_POLICY.merge(PRIVACY_POLICY),
            verifier=runtime.erased_caller_verifier(eraser.tombstones),
            service_names=[COMMUNITY_SERVICE_NAME, PRIVACY_SERVICE_NAME],
        )
    )
    return runtime
