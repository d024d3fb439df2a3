"""A tenant's starting catalogue, written over gRPC as its people would."""

from __future__ import annotations

from dataclasses import dataclass

import grpc.aio

from agora.catalog.v1 import catalog_pb2 as pb
from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceStub
from agora_cli.config import Service
from agora_core.testing.grpc_assertions import caller

from .conftest import Platform

AUTHOR = "u-grace"
ADMIN = "u-admin"


@dataclass(frozen=True)
class Catalogue:
    tenant: str
    kafka_items: tuple[str, str]
    git_item: str
    path_id: str


async def seed_catalogue(platform: Platform, tenant: str) -> Catalogue:
    """Three published wiki items (two about Kafka) and a published path over them."""
    runtime = platform.runtimes[Service.CATALOG]
    author = caller(["contributor"], tenant=tenant, subject=AUTHOR)
    admin = caller(["admin"], tenant=tenant, subject=ADMIN)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{runtime.grpc_port}") as channel:
        stub = CatalogServiceStub(channel)

        async def publish(title: str, markdown: str) -> str:
            draft = pb.ItemDraft(
                title=title,
                language="en",
                estimated_minutes=10,
                wiki=pb.WikiContent(markdown=markdown),
            )
            item = (await stub.CreateItem(pb.CreateItemRequest(item=draft), metadata=author)).item
            await stub.SubmitItem(pb.SubmitItemRequest(item_id=item.item_id), metadata=author)
            await stub.ClaimReview(pb.ClaimReviewRequest(item_id=item.item_id), metadata=admin)
            await stub.ReviewItem(
                pb.ReviewItemRequest(item_id=item.item_id, decision=pb.REVIEW_DECISION_APPROVED),
                metadata=admin,
            )
            return item.item_id

        first = await publish("Kafka basics", "Topics, partitions and **offsets**.")
        second = await publish("Kafka consumer groups", "Rebalances and commits.")
        git = await publish("Git rebase tips", "Rebase safely.")
        created = await stub.CreatePath(
            pb.CreatePathRequest(
                title="Streaming onboarding",
                steps=[pb.PathStep(item_id=first, mandatory=True), pb.PathStep(item_id=second)],
            ),
            metadata=author,
        )
        await stub.PublishPath(pb.PublishPathRequest(path_id=created.path.path_id), metadata=author)
    return Catalogue(tenant, (first, second), git, created.path.path_id)
