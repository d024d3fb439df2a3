"""Builds the community service: the only place that knows every concrete class."""

from __future__ import annotations

from agora.community.v1 import community_pb2_grpc
from agora_community.adapters.collections import INDEXES, OUTBOX_COLLECTIONS
from agora_community.adapters.repository import CommunityStore
from agora_community.entrypoints.events import TOPICS, event_handlers
from agora_community.entrypoints.grpc_api import (
    COMMUNITY_POLICY,
    COMMUNITY_SERVICE_NAME,
    CommunityServicer,
)
from agora_community.settings import CommunitySettings
from agora_core.grpc.server import ServiceRegistration, create_grpc_server
from agora_core.runtime import ServiceRuntime


async def build(settings: CommunitySettings) -> ServiceRuntime:
    """The runtime with indexes, the outbox relay, the consumer and the gRPC server."""
    runtime = ServiceRuntime(settings, indexes=INDEXES, outbox_collections=OUTBOX_COLLECTIONS)

    def stores(tenant_id: str) -> CommunityStore:
        return CommunityStore(runtime.database, tenant_id, runtime.relay.notify)

    runtime.add_consumer(TOPICS, event_handlers(stores, settings.trending_half_life_hours))
    servicer = CommunityServicer(stores, settings)
    runtime.set_api(
        create_grpc_server(
            settings,
            registrations=[
                ServiceRegistration(
                    community_pb2_grpc.add_CommunityServiceServicer_to_server, servicer
                )
            ],
            policy=COMMUNITY_POLICY,
            service_names=[COMMUNITY_SERVICE_NAME],
        )
    )
    return runtime
