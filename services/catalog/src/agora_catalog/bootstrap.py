"""Builds the catalog process: the only place that knows every concrete class."""

from __future__ import annotations

from agora.catalog.v1 import catalog_pb2_grpc
from agora_catalog.adapters.postgres import erasure
from agora_catalog.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory, on_batch
from agora_catalog.entrypoints import events
from agora_catalog.entrypoints.grpc_api import CATALOG_POLICY, CATALOG_SERVICE_NAME
from agora_catalog.entrypoints.grpc_learning import CatalogServicer
from agora_catalog.migrations import MIGRATIONS
from agora_catalog.service_layer.assignments import Assignments
from agora_catalog.service_layer.events import EventFactory
from agora_catalog.service_layer.items import Items
from agora_catalog.service_layer.paths import Paths
from agora_catalog.service_layer.progress import Learning
from agora_catalog.service_layer.quizzes import Quizzes
from agora_catalog.service_layer.review import Review
from agora_catalog.service_layer.search import Search
from agora_catalog.service_layer.sessions import Sessions
from agora_catalog.service_layer.skills_report import SkillsReports
from agora_catalog.service_layer.taxonomy import Taxonomy
from agora_catalog.service_layer.use_cases import UseCases
from agora_catalog.settings import CatalogSettings
from agora_core.grpc.server import ServiceRegistration, create_grpc_server
from agora_core.privacy.postgres import PostgresPersonEraser, with_erasure_batch
from agora_core.runtime import ServiceRuntime


def use_cases(uow: PostgresUnitOfWorkFactory, factory: EventFactory) -> UseCases:
    return UseCases(
        taxonomy=Taxonomy(uow),
        items=Items(uow),
        review=Review(uow, factory),
        search=Search(uow),
        sessions=Sessions(uow),
        learning=Learning(uow, factory),
        paths=Paths(uow, factory),
        assignments=Assignments(uow, factory),
        quizzes=Quizzes(uow, factory),
        reports=SkillsReports(uow),
    )


async def build(settings: CatalogSettings) -> ServiceRuntime:
    """The runtime with its database, outbox relay, consumer and gRPC API wired."""
    runtime = ServiceRuntime(settings, migrations=MIGRATIONS)
    database = runtime.require_postgres()
    factory = EventFactory(runtime.registry)
    uow = PostgresUnitOfWorkFactory(database)
    eraser = PostgresPersonEraser(database, erasure.STEPS, not_personal=erasure.NOT_PERSONAL)
    topics, handlers, set_handlers = with_erasure_batch(
        events.TOPICS,
        events.handlers(factory, on_batch),
        eraser,
        set_handlers=events.set_handlers(factory, on_batch),
    )
    runtime.add_batch_consumer(topics, handlers, set_handlers=set_handlers)
    runtime.set_api(
        create_grpc_server(
            settings,
            registrations=[
                ServiceRegistration(
                    catalog_pb2_grpc.add_CatalogServiceServicer_to_server,
                    CatalogServicer(use_cases(uow, factory)),
                )
            ],
            policy=CATALOG_POLICY,
            verifier=runtime.erased_caller_verifier(eraser.tombstones),
            service_names=[CATALOG_SERVICE_NAME],
        )
    )
    return runtime
