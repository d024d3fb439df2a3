"""Space memberships (from community events) and admin-defined teams."""

from __future__ import annotations

from collections.abc import Sequence

from psycopg import AsyncConnection

from agora_gamification.domain.boards import Team

_TEAMS = (
    "SELECT t.team_id, t.name, coalesce(array_agg(m.learner_id ORDER BY m.learner_id) "
    "FILTER (WHERE m.learner_id IS NOT NULL), '{}') FROM teams t "
    "LEFT JOIN team_members m ON m.tenant_id = t.tenant_id AND m.team_id = t.team_id "
    "WHERE t.tenant_id = %s AND (%s::text IS NULL OR t.team_id = %s) "
    "GROUP BY t.team_id, t.name ORDER BY t.team_id"
)


class PostgresMembershipRepository:
    """One tenant's spaces and teams, as far as boards and challenges need them."""

    def __init__(self, connection: AsyncConnection, tenant_id: str) -> None:
        self._connection = connection
        self._tenant = tenant_id

    async def memberships_of(
        self, learner_ids: Sequence[str]
    ) -> dict[str, tuple[list[str], list[str]]]:
        """``{learner: (space ids, team ids)}`` for every learner asked (one read)."""
        found: dict[str, tuple[list[str], list[str]]] = {i: ([], []) for i in learner_ids}
        if not found:
            return found
        cursor = await self._connection.execute(
            "SELECT learner_id, 's', space_id FROM space_members "
            "WHERE tenant_id = %(t)s AND learner_id = ANY(%(ids)b::text[]) "
            "UNION ALL SELECT learner_id, 't', team_id FROM team_members "
            "WHERE tenant_id = %(t)s AND learner_id = ANY(%(ids)b::text[])",
            {"t": self._tenant, "ids": list(found)},
        )
        for learner, kind, group in await cursor.fetchall():
            found[learner][0 if kind == "s" else 1].append(group)
        return found

    async def join_space(self, space_id: str, learner_id: str) -> None:
        await self._connection.execute(
            "INSERT INTO space_members (tenant_id, space_id, learner_id) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (self._tenant, space_id, learner_id),
        )

    async def leave_space(self, space_id: str, learner_id: str) -> None:
        await self._connection.execute(
            "DELETE FROM space_members WHERE tenant_id = %s AND space_id = %s AND learner_id = %s",
            (self._tenant, space_id, learner_id),
        )

    async def members_of_space(self, space_id: str) -> list[str]:
        cursor = await self._connection.execute(
            "SELECT learner_id FROM space_members WHERE tenant_id = %s AND space_id = %s "
            "ORDER BY learner_id",
            (self._tenant, space_id),
        )
        return [str(row[0]) for row in await cursor.fetchall()]

    async def put_team(self, team: Team) -> tuple[str, ...]:
        """Create or replace a team; the members it had before."""
        before = await self.team(team.team_id)
        await self._connection.execute(
            "INSERT INTO teams (tenant_id, team_id, name) VALUES (%s, %s, %s) "
            "ON CONFLICT (tenant_id, team_id) DO UPDATE SET name = excluded.name",
            (self._tenant, team.team_id, team.name),
        )
        await self._connection.execute(
            "DELETE FROM team_members WHERE tenant_id = %s AND team_id = %s "
            "AND NOT (learner_id = ANY(%b::text[]))",
            (self._tenant, team.team_id, list(team.member_ids)),
        )
        await self._connection.execute(
            "INSERT INTO team_members (tenant_id, team_id, learner_id) "
            "SELECT %s, %s, unnest(%b::text[]) ON CONFLICT DO NOTHING",
            (self._tenant, team.team_id, list(team.member_ids)),
        )
        return before.member_ids if before is not None else ()

    async def team(self, team_id: str) -> Team | None:
        teams = await self._teams(team_id)
        return teams[0] if teams else None

    async def teams(self) -> list[Team]:
        """Every team of the tenant (admin-defined: a short list)."""
        return await self._teams(None)

    async def leave_all(self, learner_id: str) -> int:
        """Right to erasure: out of every space and team; memberships removed."""
        removed = 0
        for table in ("space_members", "team_members"):
            cursor = await self._connection.execute(
                f"DELETE FROM {table} WHERE tenant_id = %s AND learner_id = %s",  # noqa: S608
                (self._tenant, learner_id),
            )
            removed += cursor.rowcount
        return removed

    async def _teams(self, team_id: str | None) -> list[Team]:
        cursor = await self._connection.execute(_TEAMS, (self._tenant, team_id, team_id))
        return [Team(str(i), str(n), tuple(m)) for i, n, m in await cursor.fetchall()]
