"""Configuration is read from the environment and fails fast naming the variable."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from pydantic_settings import SettingsConfigDict

from agora_core.settings import ConfigError, ServiceSettings, load_settings

pytestmark = pytest.mark.unit


class CatalogLikeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AGORA_TESTSVC_", extra="ignore", frozen=True)


@pytest.fixture
def environment() -> Iterator[dict[str, str]]:
    """Set variables for one test and restore the process environment afterwards."""
    saved = dict(os.environ)
    values: dict[str, str] = {}
    yield values
    os.environ.clear()
    os.environ.update(saved)


def _apply(values: dict[str, str]) -> None:
    os.environ.update(values)


def test_values_come_from_the_prefixed_environment(environment: dict[str, str]) -> None:
    environment.update(
        {
            "AGORA_TESTSVC_SERVICE_NAME": "catalog",
            "AGORA_TESTSVC_GRPC_PORT": "6001",
            "AGORA_TESTSVC_JWT_PUBLIC_KEY_PEM": "-----BEGIN PUBLIC KEY-----",
        }
    )
    _apply(environment)
    settings = load_settings(CatalogLikeSettings)
    assert settings.grpc_port == 6001
    assert settings.group_id == "agora-catalog"


def test_an_invalid_value_names_the_variable(environment: dict[str, str]) -> None:
    environment.update(
        {"AGORA_TESTSVC_GRPC_PORT": "fifty", "AGORA_TESTSVC_JWT_PUBLIC_KEY_PEM": "pem"}
    )
    _apply(environment)
    with pytest.raises(ConfigError, match="AGORA_TESTSVC_GRPC_PORT"):
        load_settings(CatalogLikeSettings)


def test_hs256_needs_dev_mode_and_some_key_is_required(environment: dict[str, str]) -> None:
    environment["AGORA_TESTSVC_JWT_HS256_SECRET"] = "s3cr3t-value"
    _apply(environment)
    with pytest.raises(ConfigError, match="only accepted when dev_mode") as error:
        load_settings(CatalogLikeSettings)
    assert "s3cr3t-value" not in str(error.value)
    os.environ.pop("AGORA_TESTSVC_JWT_HS256_SECRET")
    with pytest.raises(ConfigError, match="no token verification key"):
        load_settings(CatalogLikeSettings)


def test_secrets_are_not_shown_in_the_settings_repr(environment: dict[str, str]) -> None:
    environment.update(
        {
            "AGORA_TESTSVC_DEV_MODE": "true",
            "AGORA_TESTSVC_JWT_HS256_SECRET": "s3cr3t-value",
            "AGORA_TESTSVC_POSTGRES_DSN": "postgresql://admin:hunter2@db:5432/agora_testsvc",
        }
    )
    _apply(environment)
    settings = load_settings(CatalogLikeSettings)
    assert "s3cr3t-value" not in repr(settings)
    assert "hunter2" not in repr(settings)


def test_each_service_owns_its_database_unless_told_otherwise(
    environment: dict[str, str],
) -> None:
    environment.update(
        {
            "AGORA_TESTSVC_SERVICE_NAME": "community",
            "AGORA_TESTSVC_JWT_PUBLIC_KEY_PEM": "-----BEGIN PUBLIC KEY-----",
        }
    )
    _apply(environment)
    own = load_settings(CatalogLikeSettings).postgres_dsn.get_secret_value()
    assert own.startswith("postgresql://agora_community:agora-local-community@")
    assert own.endswith("/agora_community")
    os.environ["AGORA_TESTSVC_POSTGRES_DSN"] = "postgresql://shared@db/shared"
    assert load_settings(CatalogLikeSettings).postgres_dsn.get_secret_value().endswith("/shared")
    given = load_settings(CatalogLikeSettings, postgres_dsn="postgresql://x@db/x")
    assert given.postgres_dsn.get_secret_value() == "postgresql://x@db/x"
