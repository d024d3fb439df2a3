"""Builds the catalog process: the only place that knows every concrete class."""

from __future__ import annotations

import structlog

from agora.catalog.v1 import catalog_pb2_grpc
from agora_catalog.adapters.mongo import INDEXES, OUTBOX_COLLECTIONS, CatalogDatabase
from agora_catalog.entrypoints import events
from agora_catalog.entrypoints.grpc_api import CATALOG_POLICY, CATALOG_SERVICE_NAME, CatalogServicer
from agora_catalog.service_layer.catalog import Catalog
from agora_catalog.service_layer.erasure import (
    ERASURE_PLAN,
    reindex_erased_items,
    remove_from_skills,
)
from agora_catalog.service_layer.events import EventFactory
from agora_catalog.service_layer.learning import Learning
from agora_catalog.service_layer.popularity import Popularity
from agora_catalog.service_layer.search_index import SearchIndex
from agora_catalog.settings import CatalogSettings
from agora_core.grpc.server import ServiceRegistration, create_grpc_server
from agora_core.privacy import ErasedCallerVerifier, PersonEraser, with_erasure
from agora_core.runtime import ServiceRuntime

log = structlog.get_logger(__name__)


async def build(settings: CatalogSettings) -> ServiceRuntime:
    """The runtime with indexes, outbox relay, consumer and gRPC API wired."""
    runtime = ServiceRuntime(settings, indexes=INDEXES, outbox_collections=OUTBOX_COLLECTIONS)
    db = CatalogDatabase(runtime.database)
    factory = EventFactory(runtime.registry)
    index = SearchIndex(db, cached_tenants=settings.search_cached_tenants)
    # Rows a crashed process left behind (or items older than the index) first.
    repaired = await index.repair(await db.items_pending_search())
    if repaired:
        log.info("search index repaired", items=repaired)
    catalog = Catalog(
        db, factory, runtime.relay.notify, index=index, cached_items=settings.search_cached_items
    )
    learning = Learning(db, catalog, factory, runtime.relay.notify)
    popularity = Popularity(db, index, dedupe_days=settings.popularity_dedupe_days)

    async def skills_left(tenant_id: str, person_id: str, _pseudonym: str) -> int:
        return await remove_from_skills(db, tenant_id, person_id)

    async def search_rows(tenant_id: str, _person_id: str, _pseudonym: str) -> int:
        return await reindex_erased_items(db, index, tenant_id)

    eraser = PersonEraser(
        runtime.database,
        ERASURE_PLAN,
        before=[("skills_left", skills_left)],
        after=[("search_rows", search_rows)],
    )
    runtime.add_consumer(
        *with_erasure(events.TOPICS, events.handlers(popularity, learning), eraser)
    )
    runtime.set_api(
        create_grpc_server(
            settings,
            registrations=[
                ServiceRegistration(
                    catalog_pb2_grpc.add_CatalogServiceServicer_to_server,
                    CatalogServicer(catalog, learning),
                )
            ],
            policy=CATALOG_POLICY,
            verifier=ErasedCallerVerifier(settings, eraser.tombstones),
            service_names=[CATALOG_SERVICE_NAME],
        )
    )
    return runtime
