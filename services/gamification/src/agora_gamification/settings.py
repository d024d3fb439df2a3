"""Settings of the gamification service (environment variables ``AGORA_GAMIFICATION_*``)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from agora_core.settings import ServiceSettings


class GamificationSettings(ServiceSettings):
    """Runtime settings plus what gamification adds (see the README's table)."""

    model_config = SettingsConfigDict(env_prefix="AGORA_GAMIFICATION_", extra="ignore", frozen=True)

    service_name: str = Field(default="gamification", pattern=r"^[a-z][a-z0-9-]{1,40}$")
    grpc_port: int = Field(default=50053, ge=0, le=65535)
    http_port: int = Field(default=9103, ge=0, le=65535)

    # Public HTTP endpoint (credential status, issuer profile); reachable without a token.
    public_host: str = Field(
        default="127.0.0.1",
        description="Interface of the public HTTP endpoint (credential status, issuer).",
    )
    public_port: int = Field(
        default=9203, ge=0, le=65535, description="Port of the public HTTP endpoint."
    )
    public_base_url: str = Field(
        default="https://agora.example/gamification",
        pattern=r"^https?://\S+[^/]$",
        description="Base of credential, issuer and status URLs in Open Badges credentials "
        "(the public endpoint, on public_port, serves the status and issuer under it).",
    )
    issuer_name: str = Field(default="Agora", min_length=1, max_length=200)
    badge_signing_key_pem: SecretStr | None = Field(
        default=None,
        description="PEM private key (RSA ≥ 2048 bits → RS256, EC P-256 → ES256, Ed25519 → EdDSA).",
    )
    badge_signing_key_id: str = Field(
        default="agora-badges-1", min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._-]+$"
    )
    challenge_sweep_seconds: float = Field(
        default=5.0, gt=0, le=3600, description="How often deadlines are checked."
    )
    ledger_purge_seconds: float = Field(
        default=3600.0,
        gt=0,
        le=86400,
        description="How often ledgers are purged by their tenant's retention "
        "(tenant setting ledger_retention_days).",
    )
    ledger_purge_batch_size: int = Field(
        default=500,
        ge=1,
        le=10000,
        description="Old ledger entries looked at per purge transaction (their learners, "
        "at most this many, are carried in it).",
    )
