"""Prometheus metrics of messaging, defined once for the whole process."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_CONSUMED = Counter(
    "agora_events_consumed_total",
    "Events taken from Kafka, by outcome (handled, duplicate, ignored, dead_lettered).",
    ["service", "topic", "type", "outcome"],
)
TENANT_EVENTS_CONSUMED = Counter(
    "agora_tenant_events_consumed_total",
    "Events taken from Kafka per tenant and outcome; only with METRICS_PER_TENANT (one "
    "series per tenant: for tests and small deployments).",
    ["service", "tenant", "outcome"],
)
PRODUCERS_REPLACED = Counter(
    "agora_kafka_producers_replaced_total",
    "Kafka producers replaced after an error they cannot recover from (new producer id).",
    ["service"],
)
EVENTS_PRODUCED = Counter(
    "agora_events_produced_total", "Events published to Kafka.", ["service", "topic"]
)
EVENTS_FAILED = Counter(
    "agora_events_failed_total",
    "Handler attempts that raised, by error kind (transient, permanent, infrastructure).",
    ["service", "topic", "kind"],
)
HANDLER_SECONDS = Histogram(
    "agora_event_handler_seconds",
    "Time spent handling one event, retries included.",
    ["service", "topic"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CONSUMER_LAG = Gauge(
    "agora_consumer_lag",
    "Messages between the last handled offset and the partition's high watermark.",
    ["service", "topic", "partition"],
)
COMMITS_FAILED = Counter(
    "agora_consumer_commit_failures_total",
    "Offset commits refused (usually by a rebalance; the events are redelivered).",
    ["service", "topic"],
)
OUTBOX_BACKLOG = Gauge(
    "agora_outbox_backlog", "Documents with unpublished outbox entries.", ["service"]
)
OUTBOX_PUBLISHED = Counter(
    "agora_outbox_published_total", "Outbox entries published and marked.", ["service"]
)
