"""Community settings, from ``AGORA_COMMUNITY_*`` environment variables only."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from agora_core.settings import ServiceSettings


class CommunitySettings(ServiceSettings):
    """Runtime settings of the community service (see the service README for each)."""

    model_config = SettingsConfigDict(env_prefix="AGORA_COMMUNITY_", extra="ignore", frozen=True)

    service_name: str = Field(default="community", pattern=r"^[a-z][a-z0-9-]{1,40}$")
    grpc_port: int = Field(default=50052, ge=0, le=65535)
    http_port: int = Field(default=9102, ge=0, le=65535)
    # Storage: the common POSTGRES_* settings (the service's own database and role).

    rate_limit_window_seconds: int = Field(default=60, ge=1, le=86_400)
    rate_limit_posts: int = Field(
        default=30, ge=1, le=1_000_000, description="Comments, questions, answers per window."
    )
    rate_limit_likes: int = Field(
        default=120, ge=1, le=1_000_000, description="Likes and unlikes per window."
    )
    trending_half_life_hours: float = Field(default=24.0, gt=0, le=24 * 365)
    proposed_experts: int = Field(default=5, ge=0, le=50)
    max_mentions: int = Field(default=10, ge=0, le=100)
