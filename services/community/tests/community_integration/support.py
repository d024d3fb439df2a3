"""Helpers for the integration tests: callers, feeding catalog events, waiting for state."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import grpc
import grpc.aio

from agora.community.v1 import community_pb2 as pb
from agora_contracts.events import EventPayload
from agora_contracts.events.common import SkillLevel
from agora_contracts.events.domains.catalog import KnowledgePublishedV1
from agora_core.messaging.events import OutgoingEvent
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events
from agora_core.testing.grpc_assertions import Metadata, caller

if TYPE_CHECKING:
    from agora.community.v1.community_pb2_grpc import CommunityServiceAsyncStub

EVENT_WAIT = 120.0
"""Seconds to wait for an event: a fresh consumer group first replays the topics' history."""


def knowledge(item_id: str) -> pb.Target:
    return pb.Target(type=pb.TARGET_TYPE_KNOWLEDGE, id=item_id)


def comment_target(comment_id: str) -> pb.Target:
    return pb.Target(type=pb.TARGET_TYPE_COMMENT, id=comment_id)


def event_of(
    payload: EventPayload,
    *,
    tenant: str,
    subject: str,
    source: str = "/agora/catalog",
    event_id: uuid.UUID | None = None,
) -> OutgoingEvent:
    """An event as another service would publish it."""
    return OutgoingEvent.create(
        payload,
        source=source,
        subject=subject,
        tenant_id=tenant,
        actor_id="someone",
        event_id=event_id or uuid.uuid4(),
    )


@dataclass
class Community:
    """The running service's stub plus what tests do again and again."""

    stub: CommunityServiceAsyncStub
    kafka: str

    def as_user(self, tenant: str, user: str, *roles: str) -> Metadata:
        return caller(roles or ("learner",), tenant=tenant, subject=user)

    async def publish(self, *events: OutgoingEvent) -> None:
        await publish_events(self.kafka, list(events))

    async def known_item(
        self,
        tenant: str,
        *,
        author: str = "u-author",
        item_id: str | None = None,
        space_id: str | None = None,
        skills: tuple[str, ...] = (),
        validated: bool = False,
    ) -> str:
        """Publish knowledge.published for a new item and wait until community knows it."""
        item_id = item_id or f"k-{uuid.uuid4().hex[:8]}"
        await self.publish(
            event_of(
                KnowledgePublishedV1(
                    item_id=item_id,
                    item_type="wiki",
                    title="Git rebase tips",
                    author_id=author,
                    version=1,
                    validated=validated,
                    validated_by="u-expert" if validated else None,
                    space_id=space_id,
                    language="en",
                    skills=tuple(SkillLevel(skill_id=s, level=3) for s in skills),
                    published_at=datetime.now(UTC),
                ),
                tenant=tenant,
                subject=item_id,
            )
        )
        await self.wait_known(tenant, knowledge(item_id))
        return item_id

    async def wait_known(self, tenant: str, target: pb.Target) -> None:
        """Wait until the target is in community's projection (its thread is readable)."""
        metadata = self.as_user(tenant, "u-observer", "admin")

        async def known() -> bool:
            try:
                await self.stub.ListComments(
                    pb.ListCommentsRequest(target=target, page_size=1), metadata=metadata
                )
            except grpc.aio.AioRpcError as error:
                if error.code() == grpc.StatusCode.NOT_FOUND:
                    return False
                raise
            return True

        await eventually(known, timeout=120)

    async def space(
        self, tenant: str, owner: str, *, invite_only: bool = False, name: str | None = None
    ) -> pb.Space:
        response = await self.stub.CreateSpace(
            pb.CreateSpaceRequest(
                name=name or f"Guild {uuid.uuid4().hex[:6]}",
                description="People who *love* data",
                visibility=(
                    pb.SPACE_VISIBILITY_INVITE_ONLY if invite_only else pb.SPACE_VISIBILITY_OPEN
                ),
                topic="data",
            ),
            metadata=self.as_user(tenant, owner, "contributor"),
        )
        return response.space

    async def popularity(
        self, tenant: str, target: pb.Target, user: str = "u-reader"
    ) -> pb.Popularity:
        response = await self.stub.GetPopularity(
            pb.GetPopularityRequest(targets=[target]), metadata=self.as_user(tenant, user)
        )
        return response.popularity[0]
