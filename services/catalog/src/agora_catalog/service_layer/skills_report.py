"""Use case of skills monitoring: per skill, who completed what and how quizzes go."""

from __future__ import annotations

from agora_catalog.domain.model import SkillReport
from agora_catalog.service_layer.ports import UnitOfWorkFactory
from agora_core.errors import NotFound
from agora_core.identity import Principal


class SkillsReports:
    """The skills report of a tenant (one statement for all its skills)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def skills_report(self, principal: Principal, skill_id: str | None) -> list[SkillReport]:
        """Per skill: distinct learners with a completion, completions, quiz pass rate."""
        async with self._uow(principal.tenant_id) as uow:
            skills = await uow.taxonomy.list_skills(skill_id)
            if skill_id and not skills:
                raise NotFound("skill", skill_id)
            counts = await uow.report.counts([s.skill_id for s in skills])
        report = []
        for skill in skills:
            learners, completions, taken, passed = counts.get(skill.skill_id, (0, 0, 0, 0))
            report.append(
                SkillReport(
                    skill_id=skill.skill_id,
                    skill_name=skill.name,
                    learners_completed=learners,
                    completions=completions,
                    quiz_attempts=taken,
                    quiz_passed=passed,
                    quiz_pass_rate_percent=round(100.0 * passed / taken, 2) if taken else 0.0,
                )
            )
        return report
