"""Profiles (balance, level, streak, counters) and person settings.

A batch of learners is read in one statement and written in one statement
(``jsonb_to_recordset``: the rows carry arrays and maps). The profile's ``version``
counts the changes applied. The batch consumer's transaction (marks, ledger rows,
profile) makes an event count once; the ids of the learner's last applied events
(``recent_events``, the domain's ``applied`` window) also stop a redelivery that comes
after its processed mark was purged.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from psycopg import AsyncConnection

from agora_gamification.domain.profile import ProfileState, Streak
from agora_gamification.domain.settings import PersonSettings

PERSON_SETTINGS = (
    "SELECT time_zone, leaderboard_opt_out FROM person_settings"
    " WHERE tenant_id = %s AND person_id = %s"
)
"""One person's settings (params: tenant, person): a primary-key read."""

_SELECT = """
SELECT s.id, p.version, p.balance, p.level, p.streak_current, p.streak_longest,
       p.streak_days, p.streak_carried, p.caps, p.periods, p.period_times,
       p.badge_progress, p.badges, p.recent_events, coalesce(ps.time_zone, ''),
       coalesce(ps.leaderboard_opt_out, false)
FROM unnest(%(ids)b::text[]) AS s(id)
LEFT JOIN profiles p ON p.tenant_id = %(tenant)s AND p.learner_id = s.id
LEFT JOIN person_settings ps ON ps.tenant_id = %(tenant)s AND ps.person_id = s.id
"""

_UPSERT = """
INSERT INTO profiles (tenant_id, learner_id, version, balance, level, streak_current,
    streak_longest, streak_days, streak_carried, caps, periods, period_times,
    badge_progress, badges, recent_events)
SELECT %(tenant)s, r.learner_id, r.version, r.balance, r.level, r.streak_current,
       r.streak_longest, r.streak_days, r.streak_carried, r.caps, r.periods,
       r.period_times, r.badge_progress, r.badges, r.recent_events
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(
    learner_id text, version integer, balance bigint, level integer,
    streak_current integer, streak_longest integer, streak_days date[],
    streak_carried integer, caps jsonb, periods jsonb, period_times jsonb,
    badge_progress jsonb, badges text[], recent_events text[])
ON CONFLICT (tenant_id, learner_id) DO UPDATE SET
    version = excluded.version, balance = excluded.balance, level = excluded.level,
    streak_current = excluded.streak_current, streak_longest = excluded.streak_longest,
    streak_days = excluded.streak_days, streak_carried = excluded.streak_carried,
    caps = excluded.caps, periods = excluded.periods, period_times = excluded.period_times,
    badge_progress = excluded.badge_progress, badges = excluded.badges,
    recent_events = excluded.recent_events
"""

_CREATE_EMPTY = """
INSERT INTO profiles (tenant_id, learner_id, version, balance, level, streak_current,
    streak_longest, streak_days, streak_carried, caps, periods, period_times,
    badge_progress, badges, recent_events)
SELECT %s, id, 0, 0, 1, 0, 0, '{}', 0, '{}', '{}', '{}', '{}', '{}', '{}'
FROM unnest(%b::text[]) AS id ORDER BY id
ON CONFLICT (tenant_id, learner_id) DO NOTHING
"""


class PostgresProfileRepository:
    """One tenant's profiles and person settings (the tenant is the unit of work's)."""

    def __init__(self, connection: AsyncConnection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id

    async def get_profiles(
        self, learner_ids: Sequence[str], *, for_update: bool = False
    ) -> dict[str, ProfileState]:
        """The learners' profiles (fresh ones for learners without one), in one read;
        ``for_update`` locks the stored ones until the transaction ends."""
        ids = sorted(set(learner_ids))
        if not ids:
            return {}
        if for_update:
            # A learner without a profile gets an empty one first, so there is a row to
            # lock (two batches creating one profile would otherwise both start from
            # nothing). Created and locked in id order: two batches never deadlock.
            await self._connection.execute(_CREATE_EMPTY, (self._tenant, ids))
            await self._connection.execute(
                "SELECT 1 FROM profiles WHERE tenant_id = %s AND learner_id = ANY(%b::text[]) "
                "ORDER BY learner_id FOR UPDATE",
                (self._tenant, ids),
            )
        cursor = await self._connection.execute(_SELECT, {"ids": ids, "tenant": self._tenant})
        return {row[0]: _profile(row) for row in await cursor.fetchall()}

    async def get_profile(self, learner_id: str) -> ProfileState | None:
        """A stored profile, None when the learner has none."""
        cursor = await self._connection.execute(
            "SELECT 1 FROM profiles WHERE tenant_id = %s AND learner_id = %s",
            (self._tenant, learner_id),
        )
        if await cursor.fetchone() is None:
            return None
        return (await self.get_profiles([learner_id]))[learner_id]

    async def save_profiles(self, states: Sequence[ProfileState]) -> None:
        """Write the profiles (one statement for the batch)."""
        if not states:
            return
        rows = json.dumps([_row(s) for s in states])
        await self._connection.execute(_UPSERT, {"tenant": self._tenant, "rows": rows})

    async def put_person_settings(self, person_id: str, time_zone: str, opt_out: bool) -> None:
        await self._connection.execute(
            "INSERT INTO person_settings (tenant_id, person_id, time_zone, leaderboard_opt_out) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (tenant_id, person_id) DO UPDATE SET "
            "time_zone = excluded.time_zone, leaderboard_opt_out = excluded.leaderboard_opt_out",
            (self._tenant, person_id, time_zone, opt_out),
        )

    async def person_settings(self, person_id: str) -> PersonSettings | None:
        cursor = await self._connection.execute(PERSON_SETTINGS, (self._tenant, person_id))
        row = await cursor.fetchone()
        return None if row is None else PersonSettings(time_zone=row[0], leaderboard_opt_out=row[1])

    async def delete_person(self, person_id: str) -> int:
        """Right to erasure: the profile and the person's settings; rows deleted."""
        deleted = 0
        for table, column in (("profiles", "learner_id"), ("person_settings", "person_id")):
            cursor = await self._connection.execute(
                f"DELETE FROM {table} WHERE tenant_id = %s AND {column} = %s",  # noqa: S608
                (self._tenant, person_id),
            )
            deleted += cursor.rowcount
        return deleted


def _profile(row: Sequence[Any]) -> ProfileState:
    (learner, version, balance, level, current, longest, days, carried) = row[:8]
    caps, periods, period_times, progress, badges, recent, time_zone, opt_out = row[8:]
    if version is None:
        return ProfileState(learner_id=learner, time_zone=time_zone, opt_out=opt_out)
    streak_days: tuple[dt.date, ...] = tuple(days)
    return ProfileState(
        learner_id=learner,
        version=version,
        points=balance,
        level=level,
        streak=Streak(
            current, longest, streak_days[-1] if streak_days else None, streak_days, carried
        ),
        time_zone=time_zone,
        opt_out=opt_out,
        caps=_ints(caps),
        periods=_ints(periods),
        period_times=dict(period_times),
        badge_progress=_ints(progress),
        badges=tuple(badges),
        applied=tuple({"event_id": event_id} for event_id in recent),
    )


def _ints(stored: Mapping[str, Any]) -> dict[str, int]:
    return {key: int(value) for key, value in stored.items()}


def _row(state: ProfileState) -> dict[str, Any]:
    return {
        "learner_id": state.learner_id,
        "version": state.version,
        "balance": state.points,
        "level": state.level,
        "streak_current": state.streak.current,
        "streak_longest": state.streak.longest,
        "streak_days": [d.isoformat() for d in state.streak.days],
        "streak_carried": state.streak.carried,
        "caps": dict(state.caps),
        "periods": dict(state.periods),
        "period_times": dict(state.period_times),
        "badge_progress": dict(state.badge_progress),
        "badges": list(state.badges),
        "recent_events": [str(a["event_id"]) for a in state.applied],
    }
