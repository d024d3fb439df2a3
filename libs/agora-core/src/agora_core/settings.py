"""Settings shared by every service, read from the environment only.

Each service subclasses :class:`ServiceSettings` with its own ``env_prefix``
(``AGORA_CATALOG_``, ``AGORA_COMMUNITY_`` …). :func:`load_settings` turns a bad
value into a :class:`ConfigError` whose message names the environment variable,
so start-up fails fast and says what to fix.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agora_contracts.events.envelope import TENANT_ID_PATTERN
from agora_core.claim_paths import ClaimPath
from agora_core.connect.settings import ConnectSettings
from agora_core.identity import Role


class ConfigError(Exception):
    """Configuration is invalid; the message names every offending variable."""


class KafkaSettings(BaseSettings):
    """How to reach and log in to Kafka: every service's ``KAFKA_*`` variables.

    Services inherit these fields under their own prefix
    (``AGORA_CATALOG_KAFKA_BOOTSTRAP_SERVERS``); tools that talk to the broker on no
    service's behalf (``python -m agora_core.topics``) read them with the plain
    ``AGORA_`` prefix (``AGORA_KAFKA_BOOTSTRAP_SERVERS``), so one set of names and
    one validation serve both.
    """

    model_config = SettingsConfigDict(env_prefix="AGORA_", extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(default="127.0.0.1:19092", min_length=3)
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        description="How to reach the brokers: TLS (SSL), SASL, or both (SASL_SSL, what "
        "managed Kafka services require). PLAINTEXT only on a trusted network.",
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        default="SCRAM-SHA-512", description="SASL mechanism (with a SASL protocol)."
    )
    kafka_sasl_username: str | None = Field(
        default=None, min_length=1, max_length=200, description="SASL user name."
    )
    kafka_sasl_password: SecretStr | None = Field(
        default=None, description="SASL password; secret."
    )
    kafka_ssl_ca_file: str | None = Field(
        default=None,
        max_length=1000,
        description="PEM CA bundle verifying the brokers (with TLS; default: the system's).",
    )
    kafka_ssl_cert_file: str | None = Field(
        default=None, max_length=1000, description="PEM client certificate (mutual TLS)."
    )
    kafka_ssl_key_file: str | None = Field(
        default=None, max_length=1000, description="PEM key of the client certificate."
    )

    @model_validator(mode="after")
    def _kafka_security_consistent(self) -> KafkaSettings:
        # A half-configured connection fails at start, not at the first broker call.
        protocol = self.kafka_security_protocol
        sasl = protocol in ("SASL_PLAINTEXT", "SASL_SSL")
        tls = protocol in ("SSL", "SASL_SSL")
        if sasl and (self.kafka_sasl_username is None or self.kafka_sasl_password is None):
            raise ValueError(
                f"kafka_security_protocol {protocol} needs kafka_sasl_username "
                "and kafka_sasl_password"
            )
        if not sasl and (self.kafka_sasl_username or self.kafka_sasl_password):
            raise ValueError(
                "kafka_sasl_username/password are set but the protocol "
                f"{protocol} does not use SASL"
            )
        tls_files = (self.kafka_ssl_ca_file, self.kafka_ssl_cert_file, self.kafka_ssl_key_file)
        if not tls and any(tls_files):
            raise ValueError(f"kafka_ssl_* files are set but the protocol {protocol} has no TLS")
        if (self.kafka_ssl_cert_file is None) != (self.kafka_ssl_key_file is None):
            raise ValueError("kafka_ssl_cert_file and kafka_ssl_key_file go together")
        return self


class ServiceSettings(KafkaSettings, ConnectSettings):
    """Runtime settings every Agora service has. Subclasses set ``env_prefix``.

    The ``CONNECT_*`` fields (the browser-facing endpoint) come from
    :class:`~agora_core.connect.settings.ConnectSettings`.
    """

    model_config = SettingsConfigDict(env_prefix="AGORA_", extra="ignore", frozen=True)

    service_name: str = Field(default="agora", pattern=r"^[a-z][a-z0-9-]{1,40}$")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    consumer_group: str | None = Field(
        default=None, description="Kafka consumer group; defaults to agora-<service_name>."
    )
    consumer_max_attempts: int = Field(default=4, ge=1, le=50)
    consumer_retry_backoff_ms: int = Field(default=200, ge=1, le=60_000)
    consumer_retry_backoff_max_ms: int = Field(default=10_000, ge=1, le=600_000)

    postgres_dsn: SecretStr = Field(
        default=SecretStr(""),
        description=(
            "libpq DSN of the service's own PostgreSQL database and login role; secret. "
            "Defaults to the local development database "
            "(postgresql://agora_<service>:agora-local-<service>@127.0.0.1:15432/agora_<service>)."
        ),
    )
    postgres_listen_dsn: SecretStr | None = Field(
        default=None,
        description=(
            "A direct (session) connection for LISTEN (one per process: the outbox relay's "
            "wake-up and the erased-caller watch), when POSTGRES_DSN goes through PgBouncer "
            "in transaction mode; defaults to POSTGRES_DSN. Without LISTEN the relay still "
            "publishes on its poll and each gRPC call reads the tombstones."
        ),
    )
    postgres_pool_min_size: int = Field(
        default=1, ge=0, le=100, description="Connections the pool keeps open when idle."
    )
    postgres_pool_max_size: int = Field(
        default=10,
        ge=1,
        le=500,
        description="Most connections of one process (the server sees replicas times this).",
    )
    postgres_pool_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=60,
        description="Longest wait for a free connection; then the call fails UNAVAILABLE.",
    )
    postgres_migrate_on_start: bool = Field(
        default=False,
        description=(
            "Run the schema migrations at start (development). In production the "
            "`migrate` command runs them first (the Helm pre-upgrade Job)."
        ),
    )
    processed_events_retention_hours: int = Field(
        default=336,
        ge=1,
        le=24 * 365,
        description=(
            "How long consumers remember processed event ids; keep it longer than the "
            "topics' retention so a redelivered record is always recognised."
        ),
    )
    consumer_max_records: int = Field(
        default=500, ge=1, le=10_000, description="Records a batch consumer takes per poll."
    )
    consumer_batches_in_flight: int = Field(
        default=2,
        ge=1,
        le=32,
        description=(
            "Polls a batch consumer handles at once, each in its own transaction and never "
            "two of one partition (order per key holds): while one waits on the database "
            "the next is decoded. Each holds a pool connection while it runs; 1 handles "
            "one poll at a time."
        ),
    )
    metrics_per_tenant: bool = Field(
        default=False,
        description=(
            "Also count consumed events per tenant "
            "(`agora_tenant_events_consumed_total{service, tenant, outcome}`): one series "
            "per tenant, so for tests (the fault suite reads its own tenants' progress on "
            "shared topics) and small deployments only."
        ),
    )
    outbox_relay_enabled: bool = Field(
        default=True,
        description="Set false when Debezium's outbox event router publishes the outbox.",
    )

    outbox_poll_interval_ms: int = Field(
        default=5000,
        ge=5,
        le=60_000,
        description=(
            "Idle poll interval of the outbox relay, its safety net. On PostgreSQL the "
            "relay wakes at once on a commit in its process and on LISTEN/NOTIFY from "
            "other replicas, so the poll only matters when notifications cannot arrive "
            "(PgBouncer in transaction mode)."
        ),
    )
    outbox_batch_size: int = Field(
        default=200,
        ge=1,
        le=10_000,
        description="Outbox rows a relay round publishes.",
    )

    grpc_host: str = "127.0.0.1"
    grpc_port: int = Field(default=50051, ge=0, le=65535)
    grpc_max_message_bytes: int = Field(default=4 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    grpc_max_connection_age_seconds: float = Field(
        default=300.0,
        ge=0,
        le=86_400,
        description=(
            "The server closes (GOAWAY) each client connection after about this long "
            "(±10 % jitter), so clients reconnect and spread over new replicas after a "
            "scale-out; the client's channel reconnects transparently. 0: never."
        ),
    )
    grpc_max_connection_age_grace_seconds: float = Field(
        default=30.0,
        ge=0,
        le=86_400,
        description=(
            "How long calls in flight on a connection past its maximum age may finish "
            "before it is closed (streams that outlive it are cut and must resume)."
        ),
    )
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=9100, ge=0, le=65535)
    shutdown_grace_seconds: float = Field(default=15.0, ge=0, le=300)

    jwt_jwks_url: str | None = None
    jwt_public_key_pem: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_hs256_secret: SecretStr | None = None
    jwt_leeway_seconds: float = Field(
        default=10.0,
        ge=0,
        le=300,
        description="Clock skew tolerated between the identity provider and this process.",
    )
    jwt_jwks_min_refresh_seconds: float = Field(
        default=30.0,
        ge=0,
        le=3600,
        description=(
            "Least time between two JWKS fetches that a token with an unknown key id "
            "(`kid`) triggers, as after a key rotation: bounds what forged key ids cost. "
            "The key set is also refetched when its 5-minute cache expires."
        ),
    )
    jwt_subject_claim: str = Field(
        default="sub",
        description=(
            "Claim path of the caller's id, e.g. `sub` or `oid` (Entra ID). Paths: names "
            'joined by dots (`realm_access.roles`), `["name.with.dots"]` for a name '
            "holding dots or slashes."
        ),
    )
    jwt_tenant_claim: str = Field(
        default="tenant",
        description=(
            "Claim path of the caller's tenant (organisation), e.g. `tid` (Entra ID); its "
            "value must be a tenant id (letters, digits, `_.-`, up to 64). Not read when "
            "JWT_FIXED_TENANT is set."
        ),
    )
    jwt_fixed_tenant: str | None = Field(
        default=None,
        pattern=TENANT_ID_PATTERN,
        description=(
            "The tenant of every caller (a deployment serving one organisation); "
            "the tenant claim is then ignored."
        ),
    )
    jwt_roles_claim: str = Field(
        default="roles",
        description=(
            "Claim path of the caller's roles, a list of strings: `realm_access.roles` "
            "(Keycloak), `roles` (Entra ID app roles), `groups` (Okta)."
        ),
    )
    jwt_role_mapping: dict[str, Role] = Field(
        default_factory=dict,
        description=(
            "JSON object from the provider's role or group names to Agora roles "
            '(`learner`, `contributor`, `expert`, `manager`, `admin`), e.g. `{"Agora.Admin": '
            '"admin"}`. Set: names not in it are ignored. Empty: the claim must hold '
            "Agora role names only."
        ),
    )
    jwt_roles_claim_required: bool = Field(
        default=True,
        description=(
            "Refuse tokens without the roles claim. Set false for providers that omit "
            "it when a person has no role (Entra ID, Okta): such callers have no roles."
        ),
    )
    dev_mode: bool = Field(
        default=False, description="Allows HS256 tokens; never switch on in production."
    )
    operator_tenant: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description=(
            "Tenant whose admins are platform operators: they may replay every tenant's "
            "dead letters and rewind consumer groups (agora.admin.v1). Unset: nobody may."
        ),
    )
    operation_lease_seconds: float = Field(
        default=30.0,
        ge=1,
        le=3600,
        description=(
            "A running long-running operation (dead-letter replay) renews its lease this "
            "long ahead; one whose lease lapsed (its replica died) reads as failed."
        ),
    )
    operation_progress_seconds: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="How often a running operation writes its progress and lease.",
    )

    @field_validator("jwt_subject_claim", "jwt_tenant_claim", "jwt_roles_claim")
    @classmethod
    def _claim_path_parses(cls, value: str) -> str:
        ClaimPath.parse(value)  # a ValueError names what is wrong with the path
        return value

    @field_validator("jwt_role_mapping")
    @classmethod
    def _role_names_bounded(cls, value: dict[str, Role]) -> dict[str, Role]:
        for name in value:
            if not name or len(name) > 256:
                raise ValueError("provider role names must have 1 to 256 characters")
        return value

    @model_validator(mode="before")
    @classmethod
    def _own_database_by_default(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("postgres_dsn"):
            service = data.get("service_name", cls.model_fields["service_name"].default)
            name = f"agora_{service}".replace("-", "_")
            local = f"agora-local-{service}"
            data = {**data, "postgres_dsn": f"postgresql://{name}:{local}@127.0.0.1:15432/{name}"}
        return data

    @model_validator(mode="after")
    def _auth_configured(self) -> ServiceSettings:
        if self.jwt_hs256_secret is not None and not self.dev_mode:
            raise ValueError("jwt_hs256_secret is only accepted when dev_mode is true")
        if not (self.jwt_jwks_url or self.jwt_public_key_pem or self.jwt_hs256_secret):
            raise ValueError(
                "no token verification key: set jwt_jwks_url or jwt_public_key_pem "
                "(or jwt_hs256_secret with dev_mode)"
            )
        return self

    @property
    def group_id(self) -> str:
        return self.consumer_group or f"agora-{self.service_name}"


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load_settings(cls: type[SettingsT], **overrides: object) -> SettingsT:
    """Build settings from the environment (plus explicit overrides, for tests).

    Raises ConfigError naming each variable, e.g. ``AGORA_CATALOG_GRPC_PORT: Input
    should be a valid integer``.
    """
    try:
        return cls(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        prefix = str(cls.model_config.get("env_prefix", ""))
        lines = []
        for err in error.errors():
            field = ".".join(str(p) for p in err["loc"])
            name = f"{prefix}{field}".upper() if field else f"{prefix}*"
            lines.append(f"{name}: {err['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(lines)) from None
