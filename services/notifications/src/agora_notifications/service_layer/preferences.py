"""Use cases on preference layers: read one, the three a person's notifications resolve
against, set one (with its rules checked), unsubscribe."""

from __future__ import annotations

from datetime import datetime

from agora_core.errors import FailedPrecondition
from agora_notifications.domain.model import WILDCARD, Channel
from agora_notifications.domain.preferences import (
    ChannelSetting,
    PreferenceLayer,
    turned_off_forced,
)
from agora_notifications.domain.unsubscribe import UnsubscribeRequest
from agora_notifications.service_layer.ports import UnitOfWorkFactory

Layers = tuple[PreferenceLayer | None, PreferenceLayer | None, PreferenceLayer | None]


async def get_layer(
    units: UnitOfWorkFactory, tenant_id: str, scope: str, scope_id: str
) -> PreferenceLayer | None:
    async with units(tenant_id) as uow:
        return await uow.preferences.get(scope, scope_id)


async def layers_of(
    units: UnitOfWorkFactory, tenant_id: str, space_id: str | None, person_id: str
) -> Layers:
    """(tenant, space, person) layers a person's notification resolves against."""
    async with units(tenant_id) as uow:
        return await uow.preferences.layers(space_id, person_id)


async def set_layer(
    units: UnitOfWorkFactory,
    tenant_id: str,
    scope: str,
    scope_id: str,
    layer: PreferenceLayer,
    now: datetime,
) -> None:
    """Replace a layer; a person may not switch off a category the tenant forces."""
    async with units(tenant_id) as uow:
        if scope == "person":
            tenant = await uow.preferences.get("tenant", "")
            refused = turned_off_forced(layer, tenant)
            if refused:
                raise FailedPrecondition(
                    "categories forced on by the tenant cannot be turned off: "
                    + ", ".join(refused),
                    current_state="forced",
                )
        await uow.preferences.put(scope, scope_id, layer, now)


async def unsubscribe_email(
    units: UnitOfWorkFactory, request: UnsubscribeRequest, now: datetime
) -> bool:
    """Switch email off for the token's category (``*``: every category) for the person."""
    async with units(request.tenant_id) as uow:
        current = await uow.preferences.get("person", request.person_id) or PreferenceLayer()
        tenant = await uow.preferences.get("tenant", "")
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
        await uow.preferences.put(
            "person",
            request.person_id,
            PreferenceLayer(rules=rules, quiet_hours=current.quiet_hours, forced=current.forced),
            now,
        )
    return True
