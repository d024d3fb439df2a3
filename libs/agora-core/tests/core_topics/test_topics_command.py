"""``python -m agora_core.topics``: the exact command the Compose init service and the
Helm hook run, configured by environment variables only."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from agora_contracts.events.schemas import load_platform_events
from agora_core.testing import free_port
from agora_core.topics import TopicsSettings, desired_topics

pytestmark = pytest.mark.integration


def _topics(command: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}
    return subprocess.run(  # noqa: S603 - our own module, our own interpreter
        [sys.executable, "-m", "agora_core.topics", command],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.unit
def test_the_platform_topics_are_every_registry_topic_and_its_dlq() -> None:
    registry = load_platform_events()
    desired = desired_topics(registry, TopicsSettings(partitions=6, dlq_partitions=3))
    topics = registry.topics()
    assert "agora.xapi.statements.v1" in topics
    assert [spec.name for spec in desired] == sorted(topics + [f"{t}.dlq" for t in topics])
    for spec in desired:
        dlq = spec.name.endswith(".dlq")
        assert spec.partitions == (3 if dlq else 6)
        assert spec.replication_factor == 1
        # A single replica has no min.insync.replicas to set.
        assert dict(spec.configs) == {
            "retention.ms": str(30 * 86_400_000 if dlq else 7 * 86_400_000)
        }


@pytest.mark.unit
def test_production_replication_sets_min_insync_replicas() -> None:
    settings = TopicsSettings(replication_factor=3)
    assert settings.insync_replicas() == 2


def test_plan_on_the_provisioned_broker_reports_every_topic_in_sync(kafka_bootstrap: str) -> None:
    # infra.sh up (tools/test.sh) applied the platform's topics with the defaults.
    result = _topics("plan", AGORA_KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap)
    assert result.returncode == 0, result.stderr
    count = len(desired_topics(load_platform_events(), TopicsSettings()))
    summary = (
        f"{count} topics: {count} in sync, 0 changes to apply, 0 differences apply never changes"
    )
    assert result.stdout.splitlines()[-1] == summary


def test_plan_with_more_partitions_configured_lists_each_topic_and_changes_nothing(
    kafka_bootstrap: str,
) -> None:
    result = _topics(
        "plan", AGORA_KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap, AGORA_TOPICS_PARTITIONS="7"
    )
    assert result.returncode == 0, result.stderr
    rows = [line.split() for line in result.stdout.splitlines() if "raise partitions" in line]
    topics = load_platform_events().topics()
    assert [row[0] for row in rows] == topics
    assert all(row[3:7] == ["6", "partitions", "7", "partitions"] for row in rows), rows
    again = _topics("plan", AGORA_KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap)
    assert "0 changes to apply" in again.stdout


def test_an_unreachable_broker_fails_with_exit_1_naming_it() -> None:
    address = f"127.0.0.1:{free_port()}"
    result = _topics("apply", AGORA_KAFKA_BOOTSTRAP_SERVERS=address, AGORA_TOPICS_WAIT_SECONDS="0")
    assert result.returncode == 1
    assert result.stderr.startswith(f"agora topics: Kafka at {address} (PLAINTEXT): ")


def test_bad_settings_fail_with_exit_2_naming_the_variable() -> None:
    result = _topics("apply", AGORA_TOPICS_PARTITIONS="0")
    assert result.returncode == 2
    assert "AGORA_TOPICS_PARTITIONS: Input should be greater than or equal to 1" in result.stderr
    result = _topics(
        "apply", AGORA_TOPICS_REPLICATION_FACTOR="2", AGORA_TOPICS_MIN_INSYNC_REPLICAS="3"
    )
    assert result.returncode == 2
    assert "min_insync_replicas 3 is above replication_factor 2" in result.stderr


def test_an_unknown_command_prints_usage_with_exit_2() -> None:
    result = _topics("delete")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: python -m agora_core.topics plan|apply")
