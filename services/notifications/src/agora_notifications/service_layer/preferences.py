"""Use cases on preference layers: set one (with its rules checked), unsubscribe."""

from __future__ import annotations

from datetime import datetime

from agora_core.errors import FailedPrecondition
from agora_notifications.adapters.profiles import Preferences
from agora_notifications.domain.model import WILDCARD, Channel
from agora_notifications.domain.preferences import (
    ChannelSetting,
    PreferenceLayer,
    turned_off_forced,
)
from agora_notifications.domain.unsubscribe import UnsubscribeRequest


async def set_layer(
    preferences: Preferences,
    tenant_id: str,
    scope: str,
    scope_id: str,
    layer: PreferenceLayer,
    now: datetime,
) -> None:
    """Replace a layer; a person may not switch off a category the tenant forces."""
    if scope == "person":
        tenant = await preferences.get(tenant_id, "tenant", "")
        refused = turned_off_forced(layer, tenant)
        if refused:
            raise FailedPrecondition(
                f"categories forced on by the tenant cannot be turned off: {', '.join(refused)}",
                current_state="forced",
            )
    await preferences.put(tenant_id, scope, scope_id, layer, now)


async def unsubscribe_email(
    preferences: Preferences, request: UnsubscribeRequest, now: datetime
) -> bool:
    """Switch email off for the token's category (``*``: every category) for the person."""
    current = await preferences.get(request.tenant_id, "person", request.person_id)
    current = current or PreferenceLayer()
    tenant = await preferences.get(request.tenant_id, "tenant", "")
    if tenant is not None and request.category in tenant.forced:
        return False  # forced categories stay on; the page still confirms politely
    rules = {category: dict(channels) for category, channels in current.rules.items()}
    channels = rules.setdefault(request.category, {})
    previous = channels.get(Channel.EMAIL, ChannelSetting())
    channels[Channel.EMAIL] = ChannelSetting(enabled=False, digest=previous.digest)
    if request.category == WILDCARD:
        # Specific rules of this layer would otherwise keep email on for their category.
        for category, specific in rules.items():
            if category != WILDCARD and Channel.EMAIL in specific:
                specific[Channel.EMAIL] = ChannelSetting(
                    enabled=False, digest=specific[Channel.EMAIL].digest
                )
    await preferences.put(
        request.tenant_id,
        "person",
        request.person_id,
        PreferenceLayer(rules=rules, quiet_hours=current.quiet_hours, forced=current.forced),
        now,
    )
    return True
