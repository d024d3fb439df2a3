"""A tenant's stored state: settings and the counters caches and events key on."""

from __future__ import annotations

from dataclasses import dataclass

from agora_gamification.domain.settings import TenantSettings


@dataclass(frozen=True)
class TenantState:
    """``config_version`` moves with every rule, badge or settings change;
    ``open_challenges`` lets events skip the challenge query when none is open."""

    config_version: int
    open_challenges: int
    settings: TenantSettings
