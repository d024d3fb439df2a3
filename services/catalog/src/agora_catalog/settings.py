"""Catalog settings, from ``AGORA_CATALOG_*`` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from agora_core.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    """Runtime settings of the catalog service."""

    model_config = SettingsConfigDict(env_prefix="AGORA_CATALOG_", extra="ignore", frozen=True)

    service_name: str = Field(default="catalog", pattern=r"^[a-z][a-z0-9-]{1,40}$")
    grpc_port: int = Field(default=50051, ge=0, le=65535)
    http_port: int = Field(default=9101, ge=0, le=65535)
    search_cached_tenants: int = Field(
        default=16,
        ge=1,
        le=100_000,
        description="Tenants whose search rows each process keeps in memory (least recent "
        "out); about 4 KB per item.",
    )
    search_cached_items: int = Field(
        default=5000,
        ge=0,
        le=1_000_000,
        description="Items each process keeps to serve search pages without a read.",
    )
    popularity_dedupe_days: int = Field(
        default=14,
        ge=1,
        le=365,
        description="Days a like/comment event id is remembered on its target; keep it at "
        "least the community topics' retention (older events are ignored).",
    )
