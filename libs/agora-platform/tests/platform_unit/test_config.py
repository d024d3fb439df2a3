"""Configuration and state file of the platform supervisor (pure, no processes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from agora_platform.config import ConfigurationError, load_config
from agora_platform.state import (
    PlatformNotRunning,
    PlatformState,
    ServiceState,
    read_state,
    write_state,
)
from agora_platform.supervisor import service_env

pytestmark = pytest.mark.unit


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    for name in ("catalog", "gamification"):
        (tmp_path / "services" / name).mkdir(parents=True)
        (tmp_path / "services" / name / "pyproject.toml").write_text("[project]\n")
    (tmp_path / "services" / "community").mkdir()  # no pyproject: not a service yet
    return tmp_path


def test_defaults_cover_only_the_services_that_exist(checkout: Path) -> None:
    config = load_config(checkout, {})
    assert [s.name for s in config.services] == ["catalog", "gamification"]
    assert config.service("catalog").grpc_address == "127.0.0.1:50051"
    assert config.service("gamification").metrics_url == "http://127.0.0.1:9103/metrics"
    assert config.service("gamification").connect_url == "http://127.0.0.1:8083"
    assert config.state_dir == checkout / ".agora-local"
    assert config.kafka_bootstrap == "127.0.0.1:19092"
    assert config.postgres_address == "127.0.0.1:15432"
    assert config.postgres_dsn("catalog") == (
        "postgresql://agora_catalog:agora-local-catalog@127.0.0.1:15432/agora_catalog"
    )


def test_every_port_and_the_state_dir_follow_the_environment(checkout: Path) -> None:
    env = {
        "AGORA_LOCAL_DIR": str(checkout / "elsewhere"),
        "AGORA_KAFKA_PORT": "29000",
        "AGORA_POSTGRES_PORT": "26000",
        "AGORA_CATALOG_GRPC_PORT": "51051",
        "AGORA_CATALOG_HTTP_PORT": "9201",
        "AGORA_CATALOG_CONNECT_PORT": "8181",
    }
    config = load_config(checkout, env)
    assert config.state_dir == checkout / "elsewhere"
    assert config.kafka_bootstrap == "127.0.0.1:29000"
    assert config.service("catalog").grpc_port == 51051
    assert config.service("catalog").http_port == 9201
    assert config.service("catalog").connect_port == 8181
    scripts = config.script_env({"PATH": "/bin"})
    assert scripts["AGORA_KAFKA_PORT"] == "29000"
    assert scripts["AGORA_POSTGRES_PORT"] == "26000"
    assert scripts["AGORA_LOCAL_DIR"] == str(checkout / "elsewhere")
    assert scripts["PATH"] == "/bin"
    assert scripts["AGORA_KAFKA_START_TIMEOUT"] == "240"


@pytest.mark.parametrize(
    ("name", "value"), [("AGORA_KAFKA_PORT", "nineteen"), ("AGORA_CATALOG_GRPC_PORT", "70000")]
)
def test_a_bad_port_is_refused_naming_it(checkout: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=r"PORT|grpc_port"):
        load_config(checkout, {name: value})


def test_service_env_owns_ports_and_auth_and_keeps_caller_overrides(tmp_path: Path) -> None:
    (tmp_path / "services" / "notifications").mkdir(parents=True)
    (tmp_path / "services" / "notifications" / "pyproject.toml").write_text("[project]\n")
    config = load_config(tmp_path, {"AGORA_NOTIFICATIONS_PUBLIC_PORT": "9300"})
    service = config.service("notifications")
    caller = {
        "AGORA_NOTIFICATIONS_GRPC_PORT": "1",  # the platform's resolved port wins
        "AGORA_NOTIFICATIONS_REMINDER_INACTIVITY_HOURS": "2",  # the caller's choice wins
    }
    env = service_env(config, service, "s3cret", caller)
    assert env["AGORA_NOTIFICATIONS_GRPC_PORT"] == "50054"
    assert env["AGORA_NOTIFICATIONS_DEV_MODE"] == "true"
    assert env["AGORA_NOTIFICATIONS_JWT_HS256_SECRET"] == "s3cret"
    assert env["AGORA_NOTIFICATIONS_REMINDER_INACTIVITY_HOURS"] == "2"
    assert env["AGORA_NOTIFICATIONS_SCHEDULER_INTERVAL_SECONDS"] == "2"
    assert env["AGORA_NOTIFICATIONS_PUBLIC_PORT"] == "9300"
    assert env["AGORA_NOTIFICATIONS_PUBLIC_BASE_URL"] == "http://127.0.0.1:9300"
    assert env["AGORA_NOTIFICATIONS_CONNECT_ENABLED"] == "true"
    assert env["AGORA_NOTIFICATIONS_CONNECT_PORT"] == "8084"
    assert "http://localhost:5173" in env["AGORA_NOTIFICATIONS_CONNECT_CORS_ALLOWED_ORIGINS"]
    # The served web app may call, with tokens of its local OpenID Connect provider.
    assert "http://127.0.0.1:5180" in env["AGORA_NOTIFICATIONS_CONNECT_CORS_ALLOWED_ORIGINS"]
    assert env["AGORA_NOTIFICATIONS_JWT_JWKS_URL"] == "http://127.0.0.1:9400/jwks"
    assert env["AGORA_PLATFORM_STATE_DIR"] == str(config.state_dir)
    assert not any("MONGO" in name for name in env)  # PostgreSQL is the only database
    assert env["AGORA_NOTIFICATIONS_POSTGRES_DSN"] == (
        "postgresql://agora_notifications:agora-local-notifications@127.0.0.1:15432"
        "/agora_notifications"
    )


def test_state_file_round_trip_and_missing(tmp_path: Path) -> None:
    with pytest.raises(PlatformNotRunning, match="make up"):
        read_state(tmp_path)
    (tmp_path / "dev-jwt-secret").write_text("abc\n")
    state = PlatformState(
        state_dir=tmp_path,
        kafka_bootstrap="127.0.0.1:1",
        dev_secret_file=tmp_path / "dev-jwt-secret",
        services=(
            ServiceState(
                name="catalog",
                pid=42,
                grpc_address="127.0.0.1:3",
                metrics_url="http://127.0.0.1:4/metrics",
                log_file=tmp_path / "logs" / "catalog.log",
            ),
        ),
    )
    write_state(state)
    loaded = read_state(tmp_path)
    assert loaded == state
    assert loaded.address("catalog") == "127.0.0.1:3"
    assert loaded.dev_secret() == "abc"
    with pytest.raises(KeyError):
        loaded.address("community")


def test_the_local_gamification_signs_badges_with_a_key_kept_across_runs(tmp_path: Path) -> None:
    (tmp_path / "services" / "gamification").mkdir(parents=True)
    (tmp_path / "services" / "gamification" / "pyproject.toml").write_text("[project]\n")
    config = load_config(tmp_path, {"AGORA_LOCAL_DIR": str(tmp_path / "state")})
    service = config.service("gamification")
    first = service_env(config, service, "s3cret", {})["AGORA_GAMIFICATION_BADGE_SIGNING_KEY_PEM"]
    again = service_env(config, service, "s3cret", {})["AGORA_GAMIFICATION_BADGE_SIGNING_KEY_PEM"]
    assert first == again
    key = serialization.load_pem_private_key(first.encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert (config.state_dir / "gamification-badge-signing-key.pem").stat().st_mode & 0o777 == 0o600
    # A key the caller configured wins.
    own = service_env(config, service, "s3cret", {"AGORA_GAMIFICATION_BADGE_SIGNING_KEY_PEM": "x"})
    assert own["AGORA_GAMIFICATION_BADGE_SIGNING_KEY_PEM"] == "x"
