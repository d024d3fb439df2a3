"""How many partitions, replicas and how much retention each topic gets (``AGORA_TOPICS_*``).

The defaults fit one local broker (replication factor 1); a production cluster sets
``AGORA_TOPICS_REPLICATION_FACTOR=3`` (the Helm chart does). The Kafka connection is
not here: it comes from the ``AGORA_KAFKA_*`` variables of
:class:`agora_core.settings.KafkaSettings`, the same names the services use.
"""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DAY_MS = 24 * 60 * 60 * 1000


class TopicsSettings(BaseSettings):
    """The shape of every provisioned topic."""

    model_config = SettingsConfigDict(env_prefix="AGORA_TOPICS_", extra="ignore", frozen=True)

    partitions: int = Field(
        default=6,
        ge=1,
        le=10_000,
        description="Partitions of an event topic: the most busy replicas of one consumer "
        "group. Raised on existing topics by apply, never lowered.",
    )
    dlq_partitions: int = Field(
        default=3,
        ge=1,
        le=10_000,
        description="Partitions of each <topic>.dlq (read by people and replay tools).",
    )
    replication_factor: int = Field(
        default=1,
        ge=1,
        le=32,
        description="Replicas of every partition at creation (3 in production). Never "
        "changed on an existing topic: plan reports a difference.",
    )
    min_insync_replicas: int = Field(
        default=2,
        ge=1,
        le=32,
        description="min.insync.replicas of every topic when the replication factor is "
        "above 1 (with acks=all a write survives the loss of the other replicas).",
    )
    retention_ms: int = Field(
        default=7 * DAY_MS,
        ge=-1,
        description="retention.ms of event topics (7 days; -1 keeps records forever).",
    )
    dlq_retention_ms: int = Field(
        default=30 * DAY_MS,
        ge=-1,
        description="retention.ms of dead-letter topics (30 days: time to fix and replay).",
    )
    wait_seconds: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        description="How long plan/apply retry while the brokers do not answer yet "
        "(an init container may start before Kafka).",
    )

    @model_validator(mode="after")
    def _insync_within_replicas(self) -> TopicsSettings:
        if self.replication_factor > 1 and self.min_insync_replicas > self.replication_factor:
            raise ValueError(
                f"min_insync_replicas {self.min_insync_replicas} is above "
                f"replication_factor {self.replication_factor}: no write could succeed"
            )
        return self

    def insync_replicas(self) -> int | None:
        """The min.insync.replicas to set, or None on a single-replica topic."""
        if self.replication_factor == 1:
            return None
        return self.min_insync_replicas
