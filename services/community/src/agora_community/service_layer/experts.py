"""The expert directory: who knows what, per skill, fed by events.

score = 5 * validated contributions + 3 * accepted answers + 2 * quiz passes
        + 1 * completions (domain.rules.EXPERT_WEIGHTS)

Each piece of evidence counts once per person and skill, keyed by what it is about
(``contribution:<item>``, ``answer:<answer>``, ``quiz:<item>``, ``completion:<item>``):
a redelivered event, or an item both approved in review and published validated,
adds nothing the second time.
"""

from __future__ import annotations

import contextlib
from typing import Any

from pymongo.errors import DuplicateKeyError

from agora_community.domain.rules import EXPERT_WEIGHTS
from agora_community.service_layer.ports import Store
from agora_contracts.events.domains.privacy import ERASED_PERSON_PLACEHOLDER


async def record_evidence(
    store: Store, user_id: str, skill_ids: list[str], counter: str, evidence: str
) -> None:
    """Count ``evidence`` (e.g. ``quiz:k-1``) once for the person in each skill.

    Evidence of the erased-person placeholder (an erased author's item published
    again) is not recorded: the directory lists people.
    """
    if user_id == ERASED_PERSON_PLACEHOLDER:
        return
    weight = EXPERT_WEIGHTS[counter]
    for skill_id in dict.fromkeys(skill_ids):
        key = store.key(skill_id, user_id)
        # The person may already have a record for this skill.
        with contextlib.suppress(DuplicateKeyError):
            await store.experts.insert_one(
                {
                    "_id": key,
                    "skill_id": skill_id,
                    "user_id": user_id,
                    "score": 0.0,
                    "evidence": [],
                    **dict.fromkeys(EXPERT_WEIGHTS, 0),
                }
            )
        await store.experts.update_one(
            {"_id": key, "evidence": {"$ne": evidence}},
            {"$push": {"evidence": evidence}, "$inc": {counter: 1, "score": weight}},
        )


async def find_experts(
    store: Store, skill_id: str, after: tuple[float, str] | None, limit: int
) -> list[dict[str, Any]]:
    """People with evidence in the skill, best score first (index ``experts_by_skill``)."""
    query: dict[str, Any] = {"skill_id": skill_id, "score": {"$gt": 0}}
    if after is not None:
        query["$or"] = [
            {"score": {"$lt": after[0]}},
            {"score": after[0], "user_id": {"$gt": after[1]}},
        ]
    return await store.experts.find(
        query, sort=[("score", -1), ("user_id", 1)], limit=limit, projection={"evidence": 0}
    )


async def propose_experts(
    store: Store, skill_ids: list[str], *, exclude: str, count: int
) -> list[str]:
    """The ``count`` people with the highest summed score over the skills."""
    if count == 0:
        return []
    totals: dict[str, float] = {}
    for skill_id in skill_ids:
        for expert in await find_experts(store, skill_id, None, count + 1):
            if expert["user_id"] != exclude:
                totals[expert["user_id"]] = totals.get(expert["user_id"], 0.0) + expert["score"]
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return [user_id for user_id, _ in ranked[:count]]
