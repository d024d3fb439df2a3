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


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one reaches through a transition mechanism, if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:  # 2002::/16
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def forbidden_addresses(addresses: Iterable[str]) -> list[str]:
    """Addresses outside the public internet, which an integrator endpoint may not use
    (SSRF guard).

    Only globally routable unicast addresses are allowed: loopback, private, link-local
    (cloud metadata lives there), shared (carrier-grade NAT), multicast, reserved and
    unspecified ranges reach the platform's own network, not an integrator; so do IPv6
    addresses embedding such an IPv4 one (mapped, 6to4, NAT64).
    """
    refused = []
    for raw in addresses:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(
            raw.split("%", 1)[0]
        )
        if isinstance(address, ipaddress.IPv6Address):
            embedded = _embedded_ipv4(address)
            if embedded is not None and not _public(embedded):
                refused.append(str(embedded))
                continue
        if not _public(address):
            refused.append(str(address))
    return refused


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_global and not address.is_multicast
