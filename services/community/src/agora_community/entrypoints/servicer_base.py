"""What the community servicer's parts share: the unit-of-work factory, the settings
and the rate limits."""

from __future__ import annotations

from agora.community.v1 import community_pb2_grpc
from agora_community.service_layer.ports import UnitOfWorkFactory
from agora_community.service_layer.rate_limits import LIKE, POST, RateLimits
from agora_community.settings import CommunitySettings


class ServicerBase(community_pb2_grpc.CommunityServiceServicer):
    def __init__(self, uows: UnitOfWorkFactory, settings: CommunitySettings) -> None:
        self._uows = uows
        self._settings = settings
        self._limits = RateLimits(
            settings.rate_limit_window_seconds,
            {POST: settings.rate_limit_posts, LIKE: settings.rate_limit_likes},
        )
