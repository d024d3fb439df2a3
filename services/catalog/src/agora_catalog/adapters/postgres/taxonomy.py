"""Themes, skills and tenant settings on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection

from agora_catalog.adapters.postgres.rows import Row, execute, fetch_all, fetch_one
from agora_catalog.domain.model import Skill, Theme


def _theme(row: Row) -> Theme:
    return Theme(row["theme_id"], row["name"], row["parent_id"], tuple(row["ancestors"]))


def _skill(row: Row) -> Skill:
    return Skill(row["skill_id"], row["name"], tuple(row["expert_ids"]), tuple(row["trainer_ids"]))


class PostgresTaxonomyRepository:
    """One tenant's themes, skills and settings."""

    def __init__(self, connection: AsyncConnection[Any], tenant_id: str) -> None:
        self._c = connection
        self._tenant = tenant_id

    async def themes_by_id(self, theme_ids: Sequence[str]) -> dict[str, Theme]:
        rows = await fetch_all(
            self._c,
            "SELECT * FROM themes WHERE tenant_id = %s AND theme_id = ANY(%b::text[])",
            (self._tenant, list(theme_ids)),
        )
        return {row["theme_id"]: _theme(row) for row in rows}

    async def save_theme(self, theme: Theme) -> None:
        await execute(
            self._c,
            "INSERT INTO themes (tenant_id, theme_id, name, parent_id, ancestors) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (tenant_id, theme_id) "
            "DO UPDATE SET name = excluded.name",
            (self._tenant, theme.theme_id, theme.name, theme.parent_id, list(theme.ancestors)),
        )

    async def list_themes(self) -> list[Theme]:
        rows = await fetch_all(
            self._c,
            "SELECT * FROM themes WHERE tenant_id = %s "
            "ORDER BY cardinality(ancestors), name, theme_id LIMIT 5000",
            (self._tenant,),
        )
        return [_theme(row) for row in rows]

    async def save_skill(self, skill: Skill) -> None:
        await execute(
            self._c,
            "INSERT INTO skills (tenant_id, skill_id, name, expert_ids, trainer_ids, "
            "reviewer_ids) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (tenant_id, skill_id) DO UPDATE SET name = excluded.name, "
            "expert_ids = excluded.expert_ids, trainer_ids = excluded.trainer_ids, "
            "reviewer_ids = excluded.reviewer_ids",
            (
                self._tenant,
                skill.skill_id,
                skill.name,
                list(skill.expert_ids),
                list(skill.trainer_ids),
                list(skill.reviewer_ids),
            ),
        )

    async def list_skills(self, skill_id: str | None = None) -> list[Skill]:
        rows = await fetch_all(
            self._c,
            "SELECT * FROM skills WHERE tenant_id = %s AND (%s::text IS NULL OR skill_id = %s) "
            "ORDER BY skill_id LIMIT 5000",
            (self._tenant, skill_id, skill_id),
        )
        return [_skill(row) for row in rows]

    async def skills_by_id(self, skill_ids: Sequence[str]) -> dict[str, Skill]:
        rows = await fetch_all(
            self._c,
            "SELECT * FROM skills WHERE tenant_id = %s AND skill_id = ANY(%b::text[])",
            (self._tenant, list(skill_ids)),
        )
        return {row["skill_id"]: _skill(row) for row in rows}

    async def skills_reviewed_by(self, person_id: str) -> list[str]:
        rows = await fetch_all(
            self._c,
            "SELECT skill_id FROM skills WHERE tenant_id = %s AND reviewer_ids @> ARRAY[%s]",
            (self._tenant, person_id),
        )
        return [row["skill_id"] for row in rows]

    async def informal_publishing_allowed(self) -> bool:
        row = await fetch_one(
            self._c,
            "SELECT informal_publishing_allowed FROM tenant_settings WHERE tenant_id = %s",
            (self._tenant,),
        )
        return bool(row and row["informal_publishing_allowed"])

    async def allow_informal_publishing(self, allowed: bool) -> None:
        await execute(
            self._c,
            "INSERT INTO tenant_settings (tenant_id, informal_publishing_allowed) "
            "VALUES (%s, %s) ON CONFLICT (tenant_id) "
            "DO UPDATE SET informal_publishing_allowed = excluded.informal_publishing_allowed",
            (self._tenant, allowed),
        )

    async def remove_person(self, person_id: str) -> int:
        """Erasure: the person leaves every skill's expert, trainer and reviewer lists."""
        return await execute(
            self._c,
            "UPDATE skills SET expert_ids = array_remove(expert_ids, %s), "
            "trainer_ids = array_remove(trainer_ids, %s), "
            "reviewer_ids = array_remove(reviewer_ids, %s) "
            "WHERE tenant_id = %s AND reviewer_ids @> ARRAY[%s]",
            (person_id, person_id, person_id, self._tenant, person_id),
        )
