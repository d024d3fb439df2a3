"""What the cluster holds: partitions, replication and topic-level configs of topics.

Read with aiokafka's admin client (metadata for partitions and replicas,
DescribeConfigs for configs), connected with the services' own Kafka security
settings.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, for_code

from agora_core.messaging.kafka_security import client_options
from agora_core.settings import KafkaSettings

UNKNOWN_TOPIC_OR_PARTITION = 3
DYNAMIC_TOPIC_CONFIG = 1
"""DescribeConfigs ``config_source`` of a value set on the topic itself (not a default)."""


@dataclass(frozen=True)
class TopicState:
    """One existing topic: its partition count, replication factor and configs.

    ``configs`` holds every config the broker reports (defaults included), so a
    desired value can be compared whatever its source; ``overrides`` only those set
    on the topic, which an alter must resend (AlterConfigs replaces them all).
    """

    name: str
    partitions: int
    replication_factor: int
    configs: Mapping[str, str] = field(default_factory=dict)
    overrides: Mapping[str, str] = field(default_factory=dict)


def admin_client(kafka: KafkaSettings, *, client_id: str = "agora-topics") -> AIOKafkaAdminClient:
    """An admin client (not started) with the same security as the services' clients."""
    return AIOKafkaAdminClient(
        bootstrap_servers=kafka.kafka_bootstrap_servers,
        client_id=client_id,
        **client_options(kafka),
    )


async def start_admin(
    admin: AIOKafkaAdminClient,
    wait_seconds: float,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Start ``admin``, retrying for ``wait_seconds`` while the brokers do not answer
    (saying so once through ``progress``)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            await admin.start()
            return
        except KafkaError:
            if time.monotonic() >= deadline:
                raise
            if progress is not None:
                progress(f"Kafka does not answer yet; retrying for up to {wait_seconds:.0f} s")
                progress = None
            await asyncio.sleep(min(2.0, max(0.1, deadline - time.monotonic())))


async def read_topics(admin: AIOKafkaAdminClient, names: Iterable[str]) -> dict[str, TopicState]:
    """The state of each of ``names`` that exists (absent names are missing topics)."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    existing = set(await admin.list_topics()) & set(wanted)
    if not existing:
        return {}
    shapes: dict[str, tuple[int, int]] = {}
    for topic in await admin.describe_topics(sorted(existing)):
        code = topic["error_code"]
        if code == UNKNOWN_TOPIC_OR_PARTITION:
            continue  # deleted since the listing
        if code:
            raise for_code(code)(f"describing topic {topic['topic']}")
        partitions = topic["partitions"]
        replicas = max((len(p["replicas"]) for p in partitions), default=0)
        shapes[topic["topic"]] = (len(partitions), replicas)
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in sorted(shapes)]
    configs: dict[str, dict[str, str]] = {name: {} for name in shapes}
    overrides: dict[str, dict[str, str]] = {name: {} for name in shapes}
    for response in await admin.describe_configs(resources):
        for resource in response.to_object()["resources"]:
            name = resource["resource_name"]
            if resource["error_code"]:
                raise for_code(resource["error_code"])(
                    f"describing the configs of {name}: {resource['error_message']}"
                )
            for entry in resource["config_entries"]:
                # aiokafka's schema names the entry's name field "config_names".
                key, value = entry["config_names"], entry["config_value"]
                if value is None:
                    continue
                configs[name][key] = value
                if entry["config_source"] == DYNAMIC_TOPIC_CONFIG:
                    overrides[name][key] = value
    return {
        name: TopicState(name, partitions, replicas, configs[name], overrides[name])
        for name, (partitions, replicas) in shapes.items()
    }
