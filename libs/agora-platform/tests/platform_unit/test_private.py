"""A private platform's environment: its own state directory and ports, nothing of
the caller's platform (binds probe sockets only; starts no process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agora_platform.config import PlatformConfig, load_config
from agora_platform.private import private_environ

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[4]


def test_a_private_platform_shares_no_port_and_no_setting_with_the_callers(
    tmp_path: Path,
) -> None:
    caller = {
        "PATH": "/usr/bin",
        "AGORA_KAFKA_PORT": "19092",
        "AGORA_GAMIFICATION_POSTGRES_DSN": "postgresql://mine",
        "AGORA_TEST_KAFKA": "127.0.0.1:19092",
    }
    env = private_environ(tmp_path, caller, ("gamification", "notifications"))
    assert env["PATH"] == "/usr/bin"
    assert env["AGORA_TEST_KAFKA"] == "127.0.0.1:19092"
    assert "AGORA_GAMIFICATION_POSTGRES_DSN" not in env
    config = load_config(ROOT, env)
    assert config.state_dir == tmp_path
    ports = [
        config.kafka_port,
        config.kafka_controller_port,
        config.postgres_port,
        *(p for name in ("gamification", "notifications") for p in _ports(config, name)),
    ]
    assert len(set(ports)) == len(ports) == 9  # both services have a public endpoint
    assert {19092, 19093, 15432}.isdisjoint(ports)
    # nor the test environment's (make test, make infra-up)
    assert {29092, 29093, 29094, 25432}.isdisjoint(ports)


def _ports(config: PlatformConfig, name: str) -> list[int]:
    service = config.service(name)
    extra = [service.public_port] if service.public_port is not None else []
    return [service.grpc_port, service.http_port, *extra]
