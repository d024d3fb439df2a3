"""Builds the community service: the only place that knows every concrete class."""

from __future__ import annotations

from agora.community.v1 import community_pb2_grpc, privacy_pb2_grpc
from agora_community.adapters.collections import INDEXES, OUTBOX_COLLECTIONS
from agora_community.adapters.repository import CommunityStore
from agora_community.entrypoints.erasure_grpc import (
    PRIVACY_POLICY,
    PRIVACY_SERVICE_NAME,
    PrivacyServicer,
)
from agora_community.entrypoints.events import TOPICS, event_handlers
from agora_community.entrypoints.grpc_api import (
    COMMUNITY_POLICY,
    COMMUNITY_SERVICE_NAME,
    CommunityServicer,
)
from agora_community.service_layer.erasure import ERASURE_PLAN, ERASURES, leave_spaces
from agora_community.settings import CommunitySettings
from agora_core.grpc.server import ServiceRegistration, create_grpc_server
from agora_core.privacy import ErasedCallerVerifier, PersonEraser, with_erasure
from agora_core.runtime import ServiceRuntime
from agora_core.storage import TenantRepository


async def build(settings: CommunitySettings) -> ServiceRuntime:
    """The runtime with indexes, the outbox relay, the consumer and the gRPC server."""
    runtime = ServiceRuntime(
        settings, indexes=INDEXES, outbox_collections=(*OUTBOX_COLLECTIONS, ERASURES)
    )

    def stores(tenant_id: str) -> CommunityStore:
        return CommunityStore(runtime.database, tenant_id, runtime.relay.notify)

    async def left_spaces(tenant_id: str, person_id: str, _pseudonym: str) -> int:
        return await leave_spaces(stores(tenant_id), person_id)

    eraser = PersonEraser(runtime.database, ERASURE_PLAN, before=[("left_spaces", left_spaces)])
    runtime.add_consumer(
        *with_erasure(TOPICS, event_handlers(stores, settings.trending_half_life_hours), eraser)
    )
    servicer = CommunityServicer(stores, settings)
    privacy = PrivacyServicer(
        lambda tenant_id: TenantRepository(runtime.database[ERASURES], tenant_id),
        runtime.relay.notify,
    )
    runtime.set_api(
        create_grpc_server(
            settings,
            registrations=[
                ServiceRegistration(
                    community_pb2_grpc.add_CommunityServiceServicer_to_server, servicer
                ),
                ServiceRegistration(privacy_pb2_grpc.add_PrivacyServiceServicer_to_server, privacy),
            ],
            policy=COMMUNITY_POLICY.merge(PRIVACY_POLICY),
            verifier=ErasedCallerVerifier(settings, eraser.tombstones),
            service_names=[COMMUNITY_SERVICE_NAME, PRIVACY_SERVICE_NAME],
        )
    )
    return runtime
