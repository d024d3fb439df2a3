"""Webhook rules: which events a subscription receives, the signature, allowed URLs (pure)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-Agora-Signature"
TIMESTAMP_HEADER = "X-Agora-Timestamp"
DELIVERY_HEADER = "X-Agora-Delivery"


def matches(
    event_types: Sequence[str], subjects: Sequence[str], event_type: str, subject: str
) -> bool:
    """An empty filter matches everything; otherwise the value must be listed."""
    return (not event_types or event_type in event_types) and (not subjects or subject in subjects)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, "<timestamp>.<body>")."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_signature(
    secret: str, timestamp: int, body: bytes, header: str, *, now: int, tolerance: int = 300
) -> bool:
    """What a receiver does: constant-time compare, and refuse stale timestamps (replays)."""
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header)


class UrlRefused(ValueError):
    """A webhook URL that may not be used, with the reason."""


def check_url_shape(url: str) -> str:
    """The host of an absolute http(s) URL without credentials; UrlRefused otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UrlRefused("only http and https URLs are accepted")
    if not parts.hostname:
        raise UrlRefused("the URL has no host")
    if parts.username or parts.password:
        raise UrlRefused("credentials in the URL are not accepted")
    try:
        _ = parts.port
    except ValueError:
        raise UrlRefused("invalid port") from None
    return parts.hostname


def forbidden_addresses(addresses: Iterable[str]) -> list[str]:
    """Addresses in ranges an integrator endpoint may not use (SSRF guard).

    Loopback, private, link-local (cloud metadata lives there), multicast, reserved and
    unspecified ranges reach the platform's own network, not an integrator.
    """
    refused = []
    for raw in addresses:
        address = ipaddress.ip_address(raw.split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if (
            address.is_loopback
            or address.is_private
            or address.is_link_local
            or address.is_multicast
            or address.is_reserved
            or address.is_unspecified
        ):
            refused.append(str(address))
    return refused
