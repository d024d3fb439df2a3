"""Webhook rules: filters, Standard Webhooks signatures (checked with the standardwebhooks
library) against tampering and replays, rotation bounds, URL and address checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from agora_notifications.domain.webhook_signing import new_secret, secret_key, sign, signed_headers
from agora_notifications.domain.webhooks import (
    DEFAULT_OVERLAP,
    MAX_OVERLAP,
    UrlRefused,
    WebhookSecret,
    WebhookSubscription,
    check_url_shape,
    forbidden_addresses,
    held_too_long,
    matches,
    overlap_end,
)

pytestmark = pytest.mark.unit


def test_empty_filters_match_everything_and_listed_values_must_match() -> None:
    assert matches([], [], "a.v1", "x")
    assert matches(["a.v1"], [], "a.v1", "x")
    assert not matches(["b.v1"], [], "a.v1", "x")
    assert matches([], ["x"], "a.v1", "x")
    assert not matches(["a.v1"], ["y"], "a.v1", "x")


def test_the_signature_is_standard_webhooks_v1_of_id_dot_timestamp_dot_body() -> None:
    key = b"0123456789abcdef0123456789abcdef"
    secret = "whsec_" + base64.b64encode(key).decode()
    # Reference value computed independently of the implementation.
    mac = hmac.new(key, b"msg_1.1700000000.{}", hashlib.sha256).digest()
    assert sign(secret, "msg_1", 1700000000, b"{}") == "v1," + base64.b64encode(mac).decode()


def test_the_standardwebhooks_library_verifies_with_any_secret_signing() -> None:
    old, new = new_secret(), new_secret()
    body = b'{"a":1}'
    now = int(time.time())
    headers = signed_headers([old, new], "evt-1", now, body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(b'{"a":2}', headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, {**headers, "webhook-id": "evt-2"})
    stale = signed_headers([old], "evt-1", now - 3600, body)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, stale)


def test_secrets_have_the_whsec_format_and_others_are_refused() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(secret_key(secret)) == 32
    with pytest.raises(ValueError, match="whsec_"):
        secret_key("plain-secret")


def test_a_rotation_overlap_is_bounded_and_old_secrets_stop_at_its_end() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert overlap_end(now, None) == now + DEFAULT_OVERLAP
    assert overlap_end(now, timedelta(0)) == now
    with pytest.raises(ValueError, match="overlap"):
        overlap_end(now, MAX_OVERLAP + timedelta(seconds=1))
    with pytest.raises(ValueError, match="overlap"):
        overlap_end(now, timedelta(seconds=-1))
    old = WebhookSecret("a", "whsec_old", now, expires_at=now + timedelta(hours=1))
    new = WebhookSecret("b", "whsec_new", now)
    subscription = WebhookSubscription(
        "s", "https://x.example", (), (), "", now, now, secrets=(old, new)
    )
    assert subscription.signing_secrets(now) == ["whsec_old", "whsec_new"]
    assert subscription.signing_secrets(now + timedelta(hours=1)) == ["whsec_new"]


def test_deliveries_held_by_a_pause_are_dropped_past_the_hold() -> None:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    hold = timedelta(hours=72)
    assert not held_too_long(created, created + hold, hold)
    assert held_too_long(created, created + hold + timedelta(seconds=1), hold)


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
