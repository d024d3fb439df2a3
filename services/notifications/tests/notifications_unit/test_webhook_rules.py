"""Webhook rules: filters, signatures against tampering and replays, URL and address checks."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from agora_notifications.domain.webhooks import (
    UrlRefused,
    check_url_shape,
    forbidden_addresses,
    matches,
    signature,
    verify_signature,
)

pytestmark = pytest.mark.unit


def test_empty_filters_match_everything_and_listed_values_must_match() -> None:
    assert matches([], [], "a.v1", "x")
    assert matches(["a.v1"], [], "a.v1", "x")
    assert not matches(["b.v1"], [], "a.v1", "x")
    assert matches([], ["x"], "a.v1", "x")
    assert not matches(["a.v1"], ["y"], "a.v1", "x")


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    # Reference value computed independently of the implementation.
    expected = hmac.new(b"s", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert signature("s", 1700000000, b"{}") == f"sha256={expected}"


def test_a_receiver_refuses_tampered_bodies_other_secrets_and_stale_timestamps() -> None:
    header = signature("secret", 1000, b'{"a":1}')
    assert verify_signature("secret", 1000, b'{"a":1}', header, now=1100)
    assert not verify_signature("secret", 1000, b'{"a":2}', header, now=1100)
    assert not verify_signature("other", 1000, b'{"a":1}', header, now=1100)
    assert not verify_signature("secret", 1000, b'{"a":1}', header, now=1000 + 301)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/x",
        "file:///etc/passwd",
        "http:///x",
        "https://u:p@example.org/",
        "http://example.org:99999/",
        "javascript:alert(1)",
    ],
)
def test_only_plain_http_urls_with_a_host_are_accepted(url: str) -> None:
    with pytest.raises(UrlRefused):
        check_url_shape(url)


def test_a_valid_url_gives_its_host() -> None:
    assert check_url_shape("https://hooks.example.org:8443/agora") == "hooks.example.org"


def test_internal_address_ranges_are_forbidden() -> None:
    internal = [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1%eth0",
        "224.0.0.1",
        "0.0.0.0",  # noqa: S104 - an address under test, not a bind
        "::ffff:127.0.0.1",
        "fc00::1",
    ]
    assert forbidden_addresses(internal) == [
        a.split("%")[0] if a != "::ffff:127.0.0.1" else "127.0.0.1" for a in internal
    ]
    assert forbidden_addresses(["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]) == []


def test_every_non_public_range_is_forbidden() -> None:
    """Shared (CGNAT) space, special-purpose blocks and IPv6 transition addresses that
    embed an internal IPv4 address (found by the security suite)."""
    cases = {
        "100.64.0.1": "100.64.0.1",
        "198.18.0.1": "198.18.0.1",
        "2002:7f00:1::": "127.0.0.1",  # 6to4
        "64:ff9b::a00:1": "10.0.0.1",  # NAT64
        "::ffff:a9fe:a9fe": "169.254.169.254",
    }
    assert forbidden_addresses(cases) == list(cases.values())
    assert forbidden_addresses(["2002:5db8:d822::", "64:ff9b::5db8:d822"]) == []
