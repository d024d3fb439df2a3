"""Settings of the notifications service (environment prefix ``AGORA_NOTIFICATIONS_``)."""

from __future__ import annotations

from typing import Final

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from agora_core.settings import ServiceSettings
from agora_notifications.domain.xapi_profiles import XapiProfiles

DEV_UNSUBSCRIBE_SECRET: Final = "dev-mode-unsubscribe-secret-of-32-bytes!"  # noqa: S105 - dev mode only
"""Signs unsubscribe links in dev mode only, when no secret is set."""


class NotificationsSettings(ServiceSettings):
    """Every knob is documented in the service README's settings table."""

    model_config = SettingsConfigDict(
        env_prefix="AGORA_NOTIFICATIONS_", extra="ignore", frozen=True
    )

    service_name: str = Field(default="notifications", pattern=r"^[a-z][a-z0-9-]{1,40}$")
    grpc_port: int = Field(default=50054, ge=0, le=65535)
    http_port: int = Field(default=9104, ge=0, le=65535)

    # Public HTTP endpoint (unsubscribe links); reachable without a token.
    public_host: str = "127.0.0.1"
    public_port: int = Field(default=9204, ge=0, le=65535)
    public_base_url: str = Field(default="http://127.0.0.1:9204", max_length=500)
    unsubscribe_secret: SecretStr | None = Field(default=None, min_length=32)

    # Email.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_use_tls: bool = False
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    email_from: str = Field(default="Agora <no-reply@agora.invalid>", max_length=300)

    # Delivery worker.
    delivery_poll_interval_ms: int = Field(default=200, ge=5, le=60_000)
    delivery_batch_size: int = Field(default=100, ge=1, le=1000)
    delivery_concurrency: int = Field(default=16, ge=1, le=256)
    delivery_lease_seconds: float = Field(default=60.0, gt=0, le=3600)
    delivery_max_attempts: int = Field(default=6, ge=1, le=50)
    delivery_backoff_seconds: float = Field(default=30.0, gt=0, le=3600)
    delivery_backoff_max_seconds: float = Field(default=3600.0, gt=0, le=86_400)

    # Webhooks.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_allow_private_addresses: bool = Field(
        default=False,
        description="Allow loopback/private endpoints (tests and on-premise setups only).",
    )
    webhook_max_subscriptions: int = Field(default=100, ge=1, le=10_000)
    webhook_pause_hold_hours: float = Field(
        default=72.0,
        gt=0,
        le=24 * 30,
        description="How long deliveries of a paused subscription are held before they fail.",
    )
    webhook_pause_recheck_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How often a held delivery looks whether its subscription was resumed.",
    )

    # Scheduler: reminders, assignment alerts, digests, nudges.
    scheduler_interval_seconds: float = Field(default=30.0, gt=0, le=3600)
    reminder_inactivity_hours: float = Field(default=72.0, gt=0, le=24 * 365)
    reminder_backoff_factor: float = Field(default=2.0, ge=1, le=10)
    reminder_max_count: int = Field(default=3, ge=1, le=20)
    assignment_due_soon_hours: float = Field(default=48.0, gt=0, le=24 * 60)
    digest_hour: int = Field(default=8, ge=0, le=23)
    nudge_max_minutes: int = Field(default=15, ge=1, le=240)

    # xAPI statements for Learning Record Stores (agora.xapi.statements.v1).
    xapi_enabled: bool = Field(
        default=True, description="Project learning and community events to xAPI statements."
    )
    xapi_retention_minutes: float = Field(
        default=60.0,
        gt=0,
        le=7 * 24 * 60,
        description="Keep published statement documents this long (redelivery guard).",
    )
    xapi_home_page: str = Field(
        default="https://agora.invalid/tenants/{tenant}",
        max_length=500,
        description="account.homePage of actors; {tenant} is the tenant id.",
    )
    xapi_home_pages: dict[str, str] = Field(
        default_factory=dict,
        description="Per-tenant account.homePage (JSON object tenant id -> URL).",
    )
    xapi_activity_base: str = Field(
        default="{home_page}/xapi/activities",
        max_length=500,
        description="Prefix of activity IRIs; {tenant} and {home_page} are replaced.",
    )
    xapi_extension_base: str = Field(
        default="https://agora.invalid/xapi/extensions",
        max_length=500,
        description="Prefix of Agora's xAPI extension IRIs (the same for every tenant).",
    )

    @model_validator(mode="after")
    def _xapi_templates_give_iris(self) -> NotificationsSettings:
        try:
            self.xapi_profiles().check()
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                f"xapi_home_page/xapi_activity_base/xapi_home_pages: {error}"
            ) from None
        return self

    def xapi_profiles(self) -> XapiProfiles:
        """Each tenant's xAPI identity, from the xapi_* settings."""
        return XapiProfiles(
            home_page=self.xapi_home_page,
            home_pages=self.xapi_home_pages,
            activity_base=self.xapi_activity_base,
            extension_base=self.xapi_extension_base,
        )

    @model_validator(mode="after")
    def _unsubscribe_secret_outside_dev(self) -> NotificationsSettings:
        # A known key would let anyone forge unsubscribe links for any person.
        if self.unsubscribe_secret is None and not self.dev_mode:
            raise ValueError(
                "unsubscribe_secret is required outside dev mode (32+ characters, kept "
                "stable: links in sent emails depend on it)"
            )
        return self

    def unsubscribe_key(self) -> str:
        """The key signing unsubscribe links (a fixed development key in dev mode)."""
        if self.unsubscribe_secret is not None:
            return self.unsubscribe_secret.get_secret_value()
        return DEV_UNSUBSCRIBE_SECRET

    @model_validator(mode="after")
    def _lease_outlives_sends(self) -> NotificationsSettings:
        # A worker records an attempt by delivery id only; that is safe because no
        # other worker can claim the delivery while a send may still be running.
        longest = max(self.webhook_timeout_seconds, self.smtp_timeout_seconds)
        if self.delivery_lease_seconds <= longest * 2:
            raise ValueError("delivery_lease_seconds must exceed twice the send timeouts")
        return self
