"""Settings of the Connect / gRPC-Web endpoint every service can open beside gRPC."""

from __future__ import annotations

import re
from typing import Final

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ANY_ORIGIN: Final = "*"
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


class ConnectSettings(BaseSettings):
    """``CONNECT_*`` variables, inherited by every service's settings."""

    model_config = SettingsConfigDict(env_prefix="AGORA_", extra="ignore", frozen=True)

    connect_enabled: bool = Field(
        default=False,
        description=(
            "Serve the gRPC services over Connect (JSON and binary, HTTP/1.1 and h2c) and "
            "gRPC-Web on CONNECT_PORT, for browsers and mobile apps."
        ),
    )
    connect_host: str = Field(default="127.0.0.1", description="Address the endpoint binds.")
    connect_port: int = Field(
        default=8080, ge=0, le=65535, description="Port of the endpoint (0: any free port)."
    )
    connect_cors_allowed_origins: tuple[str, ...] = Field(
        default=(),
        description=(
            'Origins browsers may call from, as a JSON list (["https://learn.example.com"]); '
            'empty: no cross-origin calls; "*": any origin, only without credentials.'
        ),
    )
    connect_cors_allow_credentials: bool = Field(
        default=False,
        description=(
            "Let pages send cookies or TLS client certificates (Access-Control-Allow-"
            "Credentials). Bearer tokens in the Authorization header do not need it."
        ),
    )
    connect_cors_max_age_seconds: int = Field(
        default=7200, ge=0, le=86_400, description="How long browsers cache a preflight."
    )

    @field_validator("connect_cors_allowed_origins")
    @classmethod
    def _origins_well_formed(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        for origin in origins:
            if origin != ANY_ORIGIN and not _ORIGIN.match(origin):
                raise ValueError(
                    f"{origin!r} is not an origin (scheme://host[:port], no path or slash)"
                )
        return origins

    @model_validator(mode="after")
    def _no_wildcard_with_credentials(self) -> ConnectSettings:
        if self.connect_cors_allow_credentials and ANY_ORIGIN in self.connect_cors_allowed_origins:
            raise ValueError(
                'connect_cors_allowed_origins "*" cannot be combined with '
                "connect_cors_allow_credentials: list the origins"
            )
        return self
