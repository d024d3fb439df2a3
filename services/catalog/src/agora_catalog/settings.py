"""Catalog settings, from ``AGORA_CATALOG_*`` environment variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from agora_core.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    """Runtime settings of the catalog service (its database: ``postgres_dsn``)."""

    model_config = SettingsConfigDict(env_prefix="AGORA_CATALOG_", extra="ignore", frozen=True)

    service_name: str = Field(default="catalog", pattern=r"^[a-z][a-z0-9-]{1,40}$")
    grpc_port: int = Field(default=50051, ge=0, le=65535)
    http_port: int = Field(default=9101, ge=0, le=65535)
