"""Profile use cases: a person's own delivery profile, and admins' bulk upsert (the
tenant is the caller's)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from agora_core.identity import Principal
from agora_notifications.domain.model import Profile
from agora_notifications.service_layer.ports import UnitOfWorkFactory

PROFILE_FIELDS: Final = frozenset(
    {"email", "locale", "time_zone", "nudge_cadence", "nudge_hour", "nudge_weekday"}
)
"""The fields of a profile an update mask may name (person_id is the key)."""


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


async def update_my_profile(
    units: UnitOfWorkFactory,
    principal: Principal,
    wanted: Profile,
    paths: frozenset[str] | None,
    now: datetime,
) -> Profile:
    """Set the caller's profile: all of ``wanted`` (no mask), or only the fields named
    in ``paths`` (AIP-134: a named field takes the request's value, so an empty email
    clears it), the others keeping their stored value."""
    async with units(principal.tenant_id) as uow:
        if paths is not None:
            current = await uow.people.profile(principal.subject)
            wanted = dataclasses.replace(current, **{p: getattr(wanted, p) for p in paths})
        await uow.people.save_profile(wanted, now)
    return wanted
