"""People on PostgreSQL: each person's delivery profile, and their nudge slot (the
``nudge_queue`` row the scheduler claims across tenants, present while nudges are on)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from agora_core.postgres.pool import AsyncConnection
from agora_notifications.domain.model import NudgeCadence, Profile
from agora_notifications.domain.schedule import next_nudge_time

_PROFILE: Final = (
    "SELECT person_id, email, locale, time_zone, nudge_cadence, nudge_hour, nudge_weekday"
    " FROM people WHERE tenant_id = %s AND person_id = %s"
)
_SAVE: Final = (
    "INSERT INTO people (tenant_id, person_id, email, locale, time_zone, nudge_cadence,"
    " nudge_hour, nudge_weekday, next_nudge_at, update_time)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (tenant_id, person_id) DO UPDATE SET email = excluded.email,"
    " locale = excluded.locale, time_zone = excluded.time_zone,"
    " nudge_cadence = excluded.nudge_cadence, nudge_hour = excluded.nudge_hour,"
    " nudge_weekday = excluded.nudge_weekday, next_nudge_at = excluded.next_nudge_at,"
    " update_time = excluded.update_time"
)
_SLOT: Final = (
    "INSERT INTO nudge_queue (tenant_id, person_id, due_at) VALUES (%s, %s, %s)"
    " ON CONFLICT (tenant_id, person_id) DO UPDATE SET due_at = excluded.due_at,"
    " lease_owner = NULL"
)
_LEARNT: Final = (
    "INSERT INTO people (tenant_id, person_id, path_ids, completed_item_ids, skill_ids)"
    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (tenant_id, person_id) DO UPDATE SET"
    " path_ids = ARRAY(SELECT DISTINCT unnest(people.path_ids || excluded.path_ids)),"
    " completed_item_ids = ARRAY(SELECT DISTINCT"
    " unnest(people.completed_item_ids || excluded.completed_item_ids)),"
    " skill_ids = ARRAY(SELECT DISTINCT unnest(people.skill_ids || excluded.skill_ids))"
)
_INTERESTS: Final = (
    "SELECT path_ids, completed_item_ids, skill_ids FROM people"
    " WHERE tenant_id = %s AND person_id = %s"
)
_NO_SLOT: Final = "DELETE FROM nudge_queue WHERE tenant_id = %s AND person_id = %s"


def _profile(row: Sequence[Any]) -> Profile:
    return Profile(
        person_id=row[0],
        email=row[1],
        locale=row[2],
        time_zone=row[3],
        nudge_cadence=NudgeCadence(row[4]),
        nudge_hour=row[5],
        nudge_weekday=row[6],
    )


class PostgresPeopleRepository:
    """One tenant's people, bound to a unit of work's connection."""

    def __init__(self, connection: AsyncConnection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id

    async def profile(self, person_id: str) -> Profile:
        """The stored profile, or the defaults for someone never seen."""
        cursor = await self._connection.execute(_PROFILE, (self._tenant, person_id))
        row = await cursor.fetchone()
        return _profile(row) if row is not None else Profile(person_id=person_id)

    async def save_profile(self, profile: Profile, now: datetime) -> None:
        """Create or replace the profile; the next nudge is rescheduled from it."""
        p = profile
        next_nudge = next_nudge_time(
            now, p.nudge_cadence, p.time_zone, p.nudge_hour, p.nudge_weekday
        )
        await self._connection.execute(
            _SAVE,
            (
                self._tenant,
                p.person_id,
                p.email,
                p.locale,
                p.time_zone,
                p.nudge_cadence.value,
                p.nudge_hour,
                p.nudge_weekday,
                next_nudge,
                now,
            ),
        )
        if next_nudge is None:
            await self._connection.execute(_NO_SLOT, (self._tenant, p.person_id))
        else:
            await self._connection.execute(_SLOT, (self._tenant, p.person_id, next_nudge))

    async def learnt(
        self,
        person_id: str,
        *,
        paths: Sequence[str] = (),
        completed: Sequence[str] = (),
        skills: Sequence[str] = (),
    ) -> None:
        """Add what an event taught about the person (idempotent: sets, not lists)."""
        await self._connection.execute(
            _LEARNT, (self._tenant, person_id, list(paths), list(completed), list(skills))
        )

    async def interests(self, person_id: str) -> tuple[list[str], list[str], list[str]]:
        """(paths, completed items, skills) learnt about the person."""
        cursor = await self._connection.execute(_INTERESTS, (self._tenant, person_id))
        row = await cursor.fetchone()
        if row is None:
            return [], [], []
        return sorted(row[0]), sorted(row[1]), sorted(row[2])
