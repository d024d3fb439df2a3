"""The topics step of ``make up`` talks to the local broker's plaintext port only."""

from __future__ import annotations

import pytest

from agora_platform.supervisor import topics_env

pytestmark = pytest.mark.unit


def test_the_topics_step_targets_the_local_broker_without_the_listeners_login() -> None:
    caller = {
        "PATH": "/usr/bin",
        "AGORA_KAFKA_BOOTSTRAP_SERVERS": "elsewhere:9092",
        "AGORA_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        # kafka.sh's SASL test listener user: not a login of the topics command.
        "AGORA_KAFKA_SASL_USERNAME": "agora-local",
        "AGORA_KAFKA_SASL_PASSWORD": "agora-local-sasl-password",
        "AGORA_TOPICS_PARTITIONS": "8",
    }
    assert topics_env(caller, "127.0.0.1:19092") == {
        "PATH": "/usr/bin",
        "AGORA_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:19092",
        "AGORA_KAFKA_SECURITY_PROTOCOL": "PLAINTEXT",
        "AGORA_TOPICS_PARTITIONS": "8",
    }
