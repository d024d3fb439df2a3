"""Profile use cases: a person's own delivery profile, and admins' bulk upsert (the
tenant is the caller's)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from agora_core.identity import Principal
from agora_notifications.domain.model import Profile
from agora_notifications.service_layer.ports import UnitOfWorkFactory


async def my_profile(units: UnitOfWorkFactory, principal: Principal) -> Profile:
    async with units(principal.tenant_id) as uow:
        return await uow.people.profile(principal.subject)


async def save_profiles(
    units: UnitOfWorkFactory, principal: Principal, profiles: Sequence[Profile], now: datetime
) -> None:
    """Create or replace each profile (its nudge slot follows) in one transaction."""
    async with units(principal.tenant_id) as uow:
        for profile in profiles:
            await uow.people.save_profile(profile, now)
