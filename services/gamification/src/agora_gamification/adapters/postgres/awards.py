"""Badge awards and their revocations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from agora_gamification.domain.awards import Award
from agora_gamification.domain.profile import AwardLine

_SELECT = (
    "SELECT a.award_id, a.badge_id, a.badge_name, a.learner_id, a.image_url, a.skill_ids, "
    "a.awarded_at, r.reason, r.revoked_at FROM awards a LEFT JOIN award_revocations r "
    "ON r.tenant_id = a.tenant_id AND r.award_id = a.award_id WHERE a.tenant_id = %s "
)
_INSERT = """
INSERT INTO awards (tenant_id, award_id, badge_id, badge_name, learner_id, image_url,
    skill_ids, awarded_at)
SELECT %s, r.award_id, r.badge_id, r.badge_name, r.learner_id, r.image_url, r.skill_ids,
       r.awarded_at
FROM jsonb_to_recordset(%s::jsonb) AS r(award_id text, badge_id text, badge_name text,
    learner_id text, image_url text, skill_ids text[], awarded_at timestamptz)
ON CONFLICT (tenant_id, award_id) DO NOTHING
"""


class PostgresAwardRepository:
    """One tenant's awards."""

    def __init__(self, connection: AsyncConnection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id

    async def add_awards(self, lines: Sequence[AwardLine]) -> None:
        """Insert awards in one statement (a known award id is left as it is)."""
        if not lines:
            return
        rows = [
            {
                "award_id": a.award_id,
                "badge_id": a.badge_id,
                "badge_name": a.badge_name,
                "learner_id": a.learner_id,
                "image_url": a.image_url,
                "skill_ids": list(a.skill_ids),
                "awarded_at": a.awarded_at.isoformat(),
            }
            for a in lines
        ]
        await self._connection.execute(_INSERT, (self._tenant, Jsonb(rows)))

    async def get_award(self, award_id: str) -> Award | None:
        cursor = await self._connection.execute(
            _SELECT + "AND a.award_id = %s", (self._tenant, award_id)
        )
        row = await cursor.fetchone()
        return None if row is None else _award(row)

    async def awards_of(self, learner_id: str, limit: int = 500) -> list[Award]:
        """A learner's awards, oldest first."""
        cursor = await self._connection.execute(
            _SELECT + "AND a.learner_id = %s ORDER BY a.awarded_at, a.award_id LIMIT %s",
            (self._tenant, learner_id, limit),
        )
        return [_award(row) for row in await cursor.fetchall()]

    async def revoke(self, award_id: str, reason: str, at: dt.datetime) -> bool:
        """Record the revocation; False when the award was already revoked."""
        cursor = await self._connection.execute(
            "INSERT INTO award_revocations (tenant_id, award_id, reason, revoked_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (self._tenant, award_id, reason, at),
        )
        return cursor.rowcount == 1

    async def delete_person(self, learner_id: str) -> int:
        """Right to erasure: a credential names its recipient, so the awards go."""
        cursor = await self._connection.execute(
            "DELETE FROM awards WHERE tenant_id = %s AND learner_id = %s",
            (self._tenant, learner_id),
        )
        return cursor.rowcount


def _award(row: tuple[object, ...]) -> Award:
    award_id, badge_id, name, learner, image, skills, at, reason, revoked_at = row
    assert isinstance(at, dt.datetime)
    assert isinstance(skills, list)
    assert revoked_at is None or isinstance(revoked_at, dt.datetime)
    return Award(
        award_id=str(award_id),
        badge_id=str(badge_id),
        badge_name=str(name),
        learner_id=str(learner),
        image_url=str(image),
        skill_ids=tuple(str(s) for s in skills),
        awarded_at=at,
        revoked=revoked_at is not None,
        revocation_reason=str(reason or ""),
        revoked_at=revoked_at,
    )
