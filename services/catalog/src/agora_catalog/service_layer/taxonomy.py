"""Use cases of the taxonomy (themes and skills) and the tenant's settings."""

from __future__ import annotations

from agora_catalog.domain.inputs import SkillIn, ThemeIn
from agora_catalog.domain.model import Skill, Theme
from agora_catalog.service_layer.ports import UnitOfWorkFactory
from agora_core.errors import InvalidArgument


class Taxonomy:
    """Themes (a tree), skills (with who reviews them), tenant switches."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def upsert_theme(self, tenant: str, theme: ThemeIn) -> Theme:
        """Create a theme under ``parent_id`` or rename it (its place in the tree is fixed)."""
        async with self._uow(tenant) as uow:
            wanted = [theme.theme_id, *([theme.parent_id] if theme.parent_id else [])]
            known = await uow.taxonomy.themes_by_id(wanted)
            ancestors: tuple[str, ...] = ()
            if theme.parent_id:
                parent = known.get(theme.parent_id)
                if parent is None:
                    raise InvalidArgument.single("parent_id", "unknown theme")
                ancestors = (*parent.ancestors, theme.parent_id)
                if theme.theme_id in ancestors:
                    raise InvalidArgument.single("parent_id", "a theme cannot be its own ancestor")
            existing = known.get(theme.theme_id)
            if existing is not None and (existing.parent_id or None) != theme.parent_id:
                raise InvalidArgument.single("parent_id", "a theme's parent cannot change")
            saved = Theme(theme.theme_id, theme.name, theme.parent_id or "", ancestors)
            await uow.taxonomy.save_theme(saved)
            return saved

    async def list_themes(self, tenant: str) -> list[Theme]:
        async with self._uow(tenant) as uow:
            return await uow.taxonomy.list_themes()

    async def upsert_skill(self, tenant: str, skill: SkillIn) -> Skill:
        """Create or replace a skill with its experts and trainers (who may review)."""
        saved = Skill(
            skill.skill_id,
            skill.name,
            tuple(dict.fromkeys(skill.expert_ids)),
            tuple(dict.fromkeys(skill.trainer_ids)),
        )
        async with self._uow(tenant) as uow:
            await uow.taxonomy.save_skill(saved)
        return saved

    async def list_skills(self, tenant: str) -> list[Skill]:
        async with self._uow(tenant) as uow:
            return await uow.taxonomy.list_skills()

    async def informal_publishing_allowed(self, tenant: str) -> bool:
        async with self._uow(tenant) as uow:
            return await uow.taxonomy.informal_publishing_allowed()

    async def allow_informal_publishing(self, tenant: str, allowed: bool) -> bool:
        async with self._uow(tenant) as uow:
            await uow.taxonomy.allow_informal_publishing(allowed)
            return await uow.taxonomy.informal_publishing_allowed()
