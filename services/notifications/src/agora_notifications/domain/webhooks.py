"""Webhook rules: subscriptions and their secrets, which events a subscription receives,
allowed URLs (pure). Signing is :mod:`domain.webhook_signing`."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import urlsplit

from agora_notifications.domain.webhook_signing import new_secret

DEFAULT_OVERLAP: Final = timedelta(hours=24)
MAX_OVERLAP: Final = timedelta(days=7)
MAX_SECRETS: Final = 5
"""Secrets signing at once: rotating more often than the overlap allows is refused."""


@dataclass(frozen=True)
class WebhookSecret:
    """A signing secret; it signs from ``created_at`` until ``expires_at`` (if set)."""

    secret_id: str
    value: str
    created_at: datetime
    expires_at: datetime | None = None

    def signs_at(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class WebhookSubscription:
    """An integrator's endpoint and what it receives. ``secrets`` are loaded only where
    a delivery is signed (the sender) or described (without values)."""

    subscription_id: str
    url: str
    event_types: tuple[str, ...]
    subjects: tuple[str, ...]
    description: str
    created_at: datetime
    updated_at: datetime
    paused: bool = False
    secrets: tuple[WebhookSecret, ...] = ()

    def receives(self, event_type: str, subject: str) -> bool:
        return matches(self.event_types, self.subjects, event_type, subject)

    def signing_secrets(self, now: datetime) -> list[str]:
        """The values of the secrets signing at ``now``, oldest first."""
        return [s.value for s in self.secrets if s.signs_at(now)]


@dataclass(frozen=True)
class SubscriptionChanges:
    """What an update changes; ``None`` leaves a field as it is."""

    url: str | None = None
    event_types: tuple[str, ...] | None = None
    subjects: tuple[str, ...] | None = None
    description: str | None = None

    def applied_to(self, subscription: WebhookSubscription, now: datetime) -> WebhookSubscription:
        return replace(
            subscription,
            url=subscription.url if self.url is None else self.url,
            event_types=(
                subscription.event_types if self.event_types is None else self.event_types
            ),
            subjects=subscription.subjects if self.subjects is None else self.subjects,
            description=(
                subscription.description if self.description is None else self.description
            ),
            updated_at=now,
        )


def matches(
    event_types: Sequence[str], subjects: Sequence[str], event_type: str, subject: str
) -> bool:
    """An empty filter matches everything; otherwise the value must be listed."""
    return (not event_types or event_type in event_types) and (not subjects or subject in subjects)


def overlap_end(now: datetime, overlap: timedelta | None) -> datetime:
    """When the secrets signing before a rotation stop; ValueError outside the bounds."""
    chosen = DEFAULT_OVERLAP if overlap is None else overlap
    if chosen < timedelta(0) or chosen > MAX_OVERLAP:
        raise ValueError(f"the overlap must be between 0 and {MAX_OVERLAP.days} days")
    return now + chosen


def held_too_long(created_at: datetime, now: datetime, hold: timedelta) -> bool:
    """A delivery matched while its subscription was paused is dropped past ``hold``."""
    return now - created_at > hold


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


@dataclass(frozen=True)
class WithSecret:
    """A subscription and the secret just issued (shown once)."""

    subscription: WebhookSubscription
    secret: str


def issue_secret(now: datetime) -> WebhookSecret:
    """A new signing secret, signing from ``now``."""
    return WebhookSecret(f"whsk-{uuid.uuid4().hex[:20]}", new_secret(), now)
