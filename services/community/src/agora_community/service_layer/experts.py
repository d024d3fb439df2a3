"""The expert directory: who knows what, per skill, fed by events.

score = 5 * validated contributions + 3 * accepted answers + 2 * quiz passes
        + 1 * completions (domain.rules.EXPERT_WEIGHTS)

Each piece of evidence counts once per person and skill, keyed by what it is about
(``contribution:<item>``, ``answer:<answer>``, ``quiz:<item>``, ``completion:<item>``):
an item both approved in review and published validated adds nothing the second time.
"""

from __future__ import annotations

from collections.abc import Sequence

from agora_community.domain.model import Expert
from agora_community.domain.rules import EXPERT_WEIGHTS
from agora_community.service_layer.paging import ScoreCursor
from agora_community.service_layer.ports import UnitOfWork, UnitOfWorkFactory
from agora_contracts.events.domains.privacy import ERASED_PERSON_PLACEHOLDER
from agora_core.identity import Principal
from agora_core.pagination import Page, decode_page_token, keyset_page


async def record_evidence(
    uow: UnitOfWork, user_id: str, skill_ids: Sequence[str], counter: str, evidence: str
) -> None:
    """Count ``evidence`` (e.g. ``quiz:k-1``) once for the person in each skill.

    Evidence of the erased-person placeholder (an erased author's item published
    again) is not recorded: the directory lists people.
    """
    if user_id == ERASED_PERSON_PLACEHOLDER or not skill_ids:
        return
    await uow.experts.record(
        user_id, list(dict.fromkeys(skill_ids)), counter, EXPERT_WEIGHTS[counter], evidence
    )


async def find_experts(
    uows: UnitOfWorkFactory, principal: Principal, skill_id: str, size: int, token: str
) -> Page[Expert]:
    """People with evidence in the skill, best score first."""
    cursor = decode_page_token(token, ScoreCursor)
    async with uows(principal.tenant_id) as uow:
        found = await uow.experts.by_skill(
            skill_id, (cursor.after_score, cursor.after_id) if cursor else None, size + 1
        )
    return keyset_page(found, size, lambda e: ScoreCursor(after_score=e.score, after_id=e.user_id))


async def propose_experts(
    uow: UnitOfWork, skill_ids: Sequence[str], *, exclude: str, count: int
) -> list[str]:
    """The ``count`` people with the highest summed score over the skills."""
    if count == 0:
        return []
    totals: dict[str, float] = {}
    for skill_id in skill_ids:
        for expert in await uow.experts.by_skill(skill_id, None, count + 1):
            if expert.user_id != exclude:
                totals[expert.user_id] = totals.get(expert.user_id, 0.0) + expert.score
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return [user_id for user_id, _ in ranked[:count]]
