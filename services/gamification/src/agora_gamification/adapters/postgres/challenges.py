"""Challenges, their participants, counted progress and duel attempts.

Progress rows are keyed by (challenge, event id), so an event counts once per
challenge; completion is one conditional update ``open → completed`` (the claim that
keeps two sweepers or two consumers from closing a challenge twice).
``challenge_deadlines`` is read across tenants by the sweeper (no personal data).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, Final

from psycopg import AsyncConnection

from agora_gamification.domain.challenges import Challenge, DuelAttempt
from agora_gamification.domain.rules import Condition

_COLUMNS = (
    "c.challenge_id, c.title, c.scope, c.scope_id, c.event_type, c.conditions, c.target, "
    "c.quiz_item_id, c.starts_at, c.ends_at, c.created_by, c.created_at, c.state, "
    "c.outcome, c.winner_ids"
)
OPEN_FOR_QUERY = (
    f"SELECT {_COLUMNS} FROM challenges c WHERE c.tenant_id = %s AND c.state = 'open' "  # noqa: S608
    "AND c.scope <> 'duel' AND c.event_type = %s"
)
MINE_PAGE_QUERY = (
    f"SELECT {_COLUMNS} FROM challenge_participants p JOIN challenges c "  # noqa: S608
    "ON c.tenant_id = p.tenant_id AND c.challenge_id = p.challenge_id "
    "WHERE p.tenant_id = %s AND p.learner_id = %s "
    "AND (p.created_at, p.challenge_id) < (%s, %s) "
    "ORDER BY p.created_at DESC, p.challenge_id DESC LIMIT %s"
)
ALL_PAGE_QUERY = (
    f"SELECT {_COLUMNS} FROM challenges c WHERE c.tenant_id = %s "  # noqa: S608
    "AND (c.created_at, c.challenge_id) < (%s, %s) "
    "ORDER BY c.created_at DESC, c.challenge_id DESC LIMIT %s"
)
# Ahead of every real key: the first page of a newest-first list.
FIRST_KEY: Final = (dt.datetime.max.replace(tzinfo=dt.UTC), "")


class PostgresChallengeRepository:
    """One tenant's challenges."""

    def __init__(self, connection: AsyncConnection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id

    async def add_challenge(self, challenge: Challenge) -> None:
        c = challenge
        await self._connection.execute(
            "INSERT INTO challenges (tenant_id, challenge_id, title, scope, scope_id, "
            "event_type, conditions, target, quiz_item_id, starts_at, ends_at, state, outcome, "
            "winner_ids, created_by, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                self._tenant,
                c.challenge_id,
                c.title,
                c.scope,
                c.scope_id,
                c.event_type,
                json.dumps([x.model_dump(mode="json") for x in c.conditions]),
                c.target,
                c.quiz_item_id,
                c.starts_at,
                c.ends_at,
                c.state,
                c.outcome,
                list(c.winner_ids),
                c.created_by,
                c.created_at,
            ),
        )
        await self._connection.execute(
            "INSERT INTO challenge_participants (tenant_id, challenge_id, learner_id, created_at) "
            "SELECT %s, %s, unnest(%b::text[]), %s",
            (self._tenant, c.challenge_id, list(c.participant_ids), c.created_at),
        )
        await self._connection.execute(
            "INSERT INTO challenge_deadlines (tenant_id, challenge_id, ends_at) "
            "VALUES (%s, %s, %s)",
            (self._tenant, c.challenge_id, c.ends_at),
        )

    async def get_challenge(
        self, challenge_id: str, *, for_update: bool = False
    ) -> Challenge | None:
        """The challenge; ``for_update`` locks it first (its progress is then current)."""
        if for_update:
            await self._connection.execute(
                "SELECT 1 FROM challenges WHERE tenant_id = %s AND challenge_id = %s FOR UPDATE",
                (self._tenant, challenge_id),
            )
        cursor = await self._connection.execute(
            f"SELECT {_COLUMNS} FROM challenges c WHERE c.tenant_id = %s AND c.challenge_id = %s",  # noqa: S608
            (self._tenant, challenge_id),
        )
        found = await self._complete(await cursor.fetchall())
        return found[0] if found else None

    async def open_goal_challenges(self, event_type: str) -> list[Challenge]:
        """Open goal challenges counting ``event_type`` (the tenant's open ones are few)."""
        cursor = await self._connection.execute(OPEN_FOR_QUERY, (self._tenant, event_type))
        return await self._complete(await cursor.fetchall())

    async def record_progress(self, challenge_id: str, event_id: str, learner_id: str) -> bool:
        """Count an event for a participant; False when this event was counted already."""
        cursor = await self._connection.execute(
            "INSERT INTO challenge_progress (tenant_id, challenge_id, event_id, learner_id) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (self._tenant, challenge_id, event_id, learner_id),
        )
        return cursor.rowcount == 1

    async def record_attempt(self, challenge_id: str, attempt: DuelAttempt) -> bool:
        """A participant's first attempt; False when they had one."""
        cursor = await self._connection.execute(
            "INSERT INTO duel_attempts (tenant_id, challenge_id, learner_id, event_type, score, "
            "graded_at) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (
                self._tenant,
                challenge_id,
                attempt.learner_id,
                attempt.event_type,
                attempt.score,
                attempt.graded_at,
            ),
        )
        return cursor.rowcount == 1

    async def complete(
        self, challenge_id: str, outcome: str, winners: Sequence[str], at: dt.datetime
    ) -> bool:
        """Close an open challenge; False when it was no longer open."""
        cursor = await self._connection.execute(
            "UPDATE challenges SET state = 'completed', outcome = %s, winner_ids = %s, "
            "completed_at = %s WHERE tenant_id = %s AND challenge_id = %s AND state = 'open'",
            (outcome, list(winners), at, self._tenant, challenge_id),
        )
        await self._connection.execute(
            "DELETE FROM challenge_deadlines WHERE tenant_id = %s AND challenge_id = %s",
            (self._tenant, challenge_id),
        )
        return cursor.rowcount == 1

    async def page(
        self, participant: str | None, after: tuple[dt.datetime, str] | None, limit: int
    ) -> list[Challenge]:
        """Newest first (``participant``'s, or every one), after the keyset ``after``."""
        at, challenge_id = after or FIRST_KEY
        if participant is None:
            cursor = await self._connection.execute(
                ALL_PAGE_QUERY, (self._tenant, at, challenge_id, limit)
            )
        else:
            cursor = await self._connection.execute(
                MINE_PAGE_QUERY, (self._tenant, participant, at, challenge_id, limit)
            )
        return await self._complete(await cursor.fetchall())

    async def pseudonymise(self, person_id: str, pseudonym: str) -> int:
        """Right to erasure: the person's part in challenges goes under a pseudonym."""
        changed = 0
        for statement in (
            "UPDATE challenge_participants SET learner_id = %(p)s "
            "WHERE tenant_id = %(t)s AND learner_id = %(id)s",
            "UPDATE challenge_progress SET learner_id = %(p)s "
            "WHERE tenant_id = %(t)s AND learner_id = %(id)s",
            "UPDATE duel_attempts SET learner_id = %(p)s "
            "WHERE tenant_id = %(t)s AND learner_id = %(id)s",
            "UPDATE challenges SET created_by = CASE WHEN created_by = %(id)s THEN %(p)s "
            "ELSE created_by END, winner_ids = array_replace(winner_ids, %(id)s, %(p)s) "
            "WHERE tenant_id = %(t)s AND (created_by = %(id)s OR %(id)s = ANY(winner_ids))",
        ):
            cursor = await self._connection.execute(
                statement, {"p": pseudonym, "t": self._tenant, "id": person_id}
            )
            changed += cursor.rowcount
        return changed

    async def _complete(self, rows: Sequence[tuple[Any, ...]]) -> list[Challenge]:
        """Challenges from their rows plus participants, progress and attempts (3 reads)."""
        if not rows:
            return []
        ids = [str(r[0]) for r in rows]
        params = (self._tenant, ids)
        participants: dict[str, list[str]] = {i: [] for i in ids}
        progress: dict[str, dict[str, int]] = {i: {} for i in ids}
        attempts: dict[str, dict[str, DuelAttempt]] = {i: {} for i in ids}
        cursor = await self._connection.execute(
            "SELECT challenge_id, learner_id FROM challenge_participants "
            "WHERE tenant_id = %s AND challenge_id = ANY(%b::text[]) ORDER BY learner_id",
            params,
        )
        for challenge_id, learner in await cursor.fetchall():
            participants[challenge_id].append(learner)
        cursor = await self._connection.execute(
            "SELECT challenge_id, learner_id, count(*) FROM challenge_progress "
            "WHERE tenant_id = %s AND challenge_id = ANY(%b::text[])"
            " GROUP BY challenge_id, learner_id",
            params,
        )
        for challenge_id, learner, count in await cursor.fetchall():
            progress[challenge_id][learner] = int(count)
        cursor = await self._connection.execute(
            "SELECT challenge_id, learner_id, event_type, score, graded_at FROM duel_attempts "
            "WHERE tenant_id = %s AND challenge_id = ANY(%b::text[])",
            params,
        )
        for challenge_id, learner, event_type, score, graded in await cursor.fetchall():
            attempts[challenge_id][learner] = DuelAttempt(learner, event_type, score, graded)
        return [
            _challenge(r, participants[str(r[0])], progress[str(r[0])], attempts[str(r[0])])
            for r in rows
        ]


def _challenge(
    row: tuple[Any, ...],
    participants: list[str],
    progress: dict[str, int],
    attempts: dict[str, DuelAttempt],
) -> Challenge:
    (challenge_id, title, scope, scope_id, event_type, conditions, target, quiz) = row[:8]
    starts, ends, created_by, created_at, state, outcome, winners = row[8:]
    return Challenge(
        challenge_id=challenge_id,
        title=title,
        scope=scope,
        scope_id=scope_id,
        participant_ids=tuple(participants),
        event_type=event_type,
        conditions=tuple(Condition.model_validate(c) for c in conditions),
        target=target,
        quiz_item_id=quiz,
        starts_at=starts,
        ends_at=ends,
        created_by=created_by,
        created_at=created_at,
        state=state,
        outcome=outcome,
        winner_ids=tuple(winners),
        progress=progress,
        attempts=attempts,
    )


async def due_challenges(
    connection: AsyncConnection, now: dt.datetime, limit: int
) -> list[tuple[str, str]]:
    """(tenant, challenge id) of open challenges of every tenant whose deadline passed."""
    cursor = await connection.execute(
        "SELECT tenant_id, challenge_id FROM challenge_deadlines WHERE ends_at <= %s "
        "ORDER BY ends_at, tenant_id, challenge_id LIMIT %s",
        (now, limit),
    )
    return [(str(t), str(c)) for t, c in await cursor.fetchall()]
