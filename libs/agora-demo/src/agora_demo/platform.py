"""The running platform as the demo talks to it: one channel per service, one stub per
service, and per-person call metadata (dev tokens signed with the platform's secret)."""

from __future__ import annotations

import datetime as dt
from types import TracebackType

import grpc.aio

from agora.catalog.v1 import catalog_pb2_grpc
from agora.community.v1 import community_pb2_grpc
from agora.gamification.v1 import gamification_pb2_grpc
from agora.notifications.v1 import notifications_pb2_grpc
from agora_core.grpc.client import bearer_metadata
from agora_core.grpc.dev_tokens import mint_dev_token
from agora_demo.cast import Person
from agora_platform.state import PlatformState

Metadata = tuple[tuple[str, str]]


class Platform:
    """Stubs of the four services; ``p.as_(person)`` is the metadata of a call by them.

    ``async with Platform(state, tenant) as p: await p.catalog.GetItem(req, metadata=p.as_(LEO))``
    """

    def __init__(self, state: PlatformState, tenant: str) -> None:
        self.state = state
        self.tenant = tenant
        self._secret = state.dev_secret()
        self._channels = {
            name: grpc.aio.insecure_channel(state.address(name))
            for name in ("catalog", "community", "gamification", "notifications")
        }
        self.catalog = catalog_pb2_grpc.CatalogServiceStub(self._channels["catalog"])
        self.community = community_pb2_grpc.CommunityServiceStub(self._channels["community"])
        self.gamification = gamification_pb2_grpc.GamificationServiceStub(
            self._channels["gamification"]
        )
        self.notifications = notifications_pb2_grpc.NotificationsServiceStub(
            self._channels["notifications"]
        )
        self._tokens: dict[str, Metadata] = {}

    def as_(self, person: Person) -> Metadata:
        """Call metadata carrying ``person``'s token in the demo tenant."""
        if person.person_id not in self._tokens:
            token = mint_dev_token(
                self._secret,
                subject=person.person_id,
                tenant=self.tenant,
                roles=person.roles,
                ttl=dt.timedelta(hours=2),
            )
            self._tokens[person.person_id] = bearer_metadata(token)
        return self._tokens[person.person_id]

    async def __aenter__(self) -> Platform:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for channel in self._channels.values():
            await channel.close(None)
