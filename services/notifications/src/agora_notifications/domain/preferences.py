"""Preference layering: tenant default, then space, then person (pure).

Each layer may say, per category (or ``*`` for every category it does not name) and
channel, whether the channel is on and, for email, the digest mode; anything it does
not say is inherited from the layer below. The tenant may force categories on (e.g.
compliance assignments): a person or space cannot switch those off. Quiet hours come
from the most specific layer that sets them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from typing import Final

from agora_notifications.domain.model import (
    ALL_CATEGORIES,
    WILDCARD,
    Category,
    Channel,
    DigestMode,
)


@dataclass(frozen=True)
class ChannelSetting:
    """What one layer says about one channel; None means inherit."""

    enabled: bool | None = None
    digest: DigestMode | None = None


@dataclass(frozen=True)
class QuietHours:
    """A daily window in the person's local time; it may wrap midnight (22:00-07:00)."""

    start: time
    end: time

    def contains(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True)
class PreferenceLayer:
    """One layer: ``rules[category][channel]``; ``forced`` only matters on the tenant layer."""

    rules: dict[str, dict[Channel, ChannelSetting]] = field(default_factory=dict)
    quiet_hours: QuietHours | None = None
    forced: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Effective:
    """The resolved choice for one category and channel."""

    enabled: bool
    digest: DigestMode
    forced: bool


BUILT_IN_DEFAULTS: Final[dict[Channel, Effective]] = {
    Channel.INBOX: Effective(enabled=True, digest=DigestMode.IMMEDIATE, forced=False),
    Channel.EMAIL: Effective(enabled=True, digest=DigestMode.IMMEDIATE, forced=False),
}
"""Below the tenant layer: everything on, email sent immediately."""


def _setting(layer: PreferenceLayer, category: str, channel: Channel) -> ChannelSetting:
    specific = layer.rules.get(category, {}).get(channel)
    wildcard = layer.rules.get(WILDCARD, {}).get(channel)
    if specific is None:
        return wildcard or ChannelSetting()
    if wildcard is None:
        return specific
    # The named category wins field by field; the wildcard fills what it leaves open.
    return ChannelSetting(
        enabled=specific.enabled if specific.enabled is not None else wildcard.enabled,
        digest=specific.digest if specific.digest is not None else wildcard.digest,
    )


def resolve(
    category: Category | str,
    channel: Channel,
    *,
    tenant: PreferenceLayer | None = None,
    space: PreferenceLayer | None = None,
    person: PreferenceLayer | None = None,
) -> Effective:
    """The effective setting of ``category`` on ``channel`` for a person in a space."""
    category = str(category)
    enabled = BUILT_IN_DEFAULTS[channel].enabled
    digest = BUILT_IN_DEFAULTS[channel].digest
    for layer in (tenant, space, person):
        if layer is None:
            continue
        setting = _setting(layer, category, channel)
        if setting.enabled is not None:
            enabled = setting.enabled
        if setting.digest is not None:
            digest = setting.digest
    forced = tenant is not None and category in tenant.forced
    if forced:
        enabled = True
    if channel is Channel.INBOX:
        digest = DigestMode.IMMEDIATE  # the inbox is always immediate; digests are emails
    return Effective(enabled=enabled, digest=digest, forced=forced)


def resolve_quiet_hours(
    *,
    tenant: PreferenceLayer | None = None,
    space: PreferenceLayer | None = None,
    person: PreferenceLayer | None = None,
) -> QuietHours | None:
    """Quiet hours of the most specific layer that sets them."""
    for layer in (person, space, tenant):
        if layer is not None and layer.quiet_hours is not None:
            return layer.quiet_hours
    return None


def turned_off_forced(person: PreferenceLayer, tenant: PreferenceLayer | None) -> list[str]:
    """Forced categories a person layer names and tries to switch off (refused).

    A ``*`` rule switching a channel off is accepted: forced categories stay on anyway.
    """
    if tenant is None:
        return []
    return sorted(
        category
        for category, channels in person.rules.items()
        if category in tenant.forced and any(s.enabled is False for s in channels.values())
    )


def is_known_category(name: str) -> bool:
    return name == WILDCARD or name in ALL_CATEGORIES
