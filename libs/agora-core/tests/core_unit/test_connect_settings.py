"""CONNECT_* settings and the CORS answers they lead to (no I/O)."""

from __future__ import annotations

import grpc
import pytest

from agora_core.connect.cors import CorsPolicy
from agora_core.connect.errors import ConnectError, connect_code
from agora_core.settings import ConfigError, ServiceSettings, load_settings

pytestmark = pytest.mark.unit

DEV = {"dev_mode": True, "jwt_hs256_secret": "s" * 40}


def test_a_wildcard_origin_with_credentials_is_refused_at_start() -> None:
    with pytest.raises(ConfigError, match="connect_cors_allowed_origins"):
        load_settings(
            ServiceSettings,
            **DEV,
            connect_cors_allowed_origins=["*"],
            connect_cors_allow_credentials=True,
        )


@pytest.mark.parametrize(
    "origin", ["https://app.example.com/", "app.example.com", "https://a.example.com/path"]
)
def test_an_origin_must_be_scheme_host_and_port(origin: str) -> None:
    with pytest.raises(ConfigError, match="not an origin"):
        load_settings(ServiceSettings, **DEV, connect_cors_allowed_origins=[origin])


def test_origins_come_from_a_json_list_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "AGORA_CONNECT_CORS_ALLOWED_ORIGINS",
        '["https://learn.example.com", "http://localhost:5173"]',
    )
    settings = load_settings(ServiceSettings, **DEV)
    assert settings.connect_cors_allowed_origins == (
        "https://learn.example.com",
        "http://localhost:5173",
    )
    assert not settings.connect_enabled  # opened by deployments, not by default


def test_listed_origins_are_echoed_with_credentials_when_allowed() -> None:
    policy = CorsPolicy(["https://learn.example.com"], allow_credentials=True, max_age_seconds=60)
    headers = dict(policy.preflight_headers("https://learn.example.com") or [])
    assert headers[b"access-control-allow-origin"] == b"https://learn.example.com"
    assert headers[b"access-control-allow-credentials"] == b"true"
    assert headers[b"vary"] == b"Origin"
    assert headers[b"access-control-max-age"] == b"60"
    assert b"authorization" in headers[b"access-control-allow-headers"]
    assert policy.preflight_headers("https://evil.example.com") is None
    assert policy.response_headers("https://evil.example.com") == []
    assert policy.response_headers(None) == []


def test_any_origin_answers_star_and_never_credentials() -> None:
    policy = CorsPolicy(["*"], allow_credentials=False, max_age_seconds=60)
    headers = dict(policy.response_headers("https://anyone.example.com"))
    assert headers[b"access-control-allow-origin"] == b"*"
    assert b"access-control-allow-credentials" not in headers


@pytest.mark.parametrize(
    ("code", "name", "http"),
    [
        (grpc.StatusCode.CANCELLED, "canceled", 499),
        (grpc.StatusCode.INVALID_ARGUMENT, "invalid_argument", 400),
        (grpc.StatusCode.UNAUTHENTICATED, "unauthenticated", 401),
        (grpc.StatusCode.PERMISSION_DENIED, "permission_denied", 403),
        (grpc.StatusCode.NOT_FOUND, "not_found", 404),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, "resource_exhausted", 429),
        (grpc.StatusCode.UNAVAILABLE, "unavailable", 503),
        (grpc.StatusCode.DEADLINE_EXCEEDED, "deadline_exceeded", 504),
    ],
)
def test_codes_have_their_connect_names_and_http_statuses(
    code: grpc.StatusCode, name: str, http: int
) -> None:
    assert connect_code(code) == name
    assert ConnectError(code, "m").http_status == http
