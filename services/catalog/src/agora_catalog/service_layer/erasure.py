"""Right to erasure in the catalog: what is deleted and what is kept anonymously.

The learner's own records (progress, quiz attempts, enrolments, assignments made to
them) are deleted. Content the person wrote stays, because others learn from it:
items, their versions and paths keep their text with ``[deleted user]`` as author or
editor, and assignments the person made to others keep ``[deleted user]`` as assigner.
Session registrations keep their seat under the placeholder (seat counts stay right).
The person is removed outright from the skills' expert, trainer and reviewer lists:
a placeholder reviewer would be meaningless.

Search rows are derived from items (author, words of the text), so the anonymising
write follows the index's rule (``search_rev`` + ``search_pending`` in the same write)
and :func:`reindex_erased_items` applies those items to the index afterwards; a crash
in between is repaired at start-up like any other pending item.
"""

from __future__ import annotations

from typing import Final

from agora_catalog.adapters.mongo import (
    ASSIGNMENTS,
    ENROLMENTS,
    ITEM_VERSIONS,
    ITEMS,
    PATHS,
    PROGRESS,
    QUIZ_ATTEMPTS,
    SEARCH_MANIFESTS,
    SEARCH_SHARDS,
    SKILLS,
    TENANT_SETTINGS,
    THEMES,
    CatalogDatabase,
)
from agora_catalog.service_layer.search_index import SearchIndex
from agora_core.privacy import Anonymise, Delete, ErasurePlan

_SKILL_ROLES: Final = ("expert_ids", "trainer_ids", "reviewer_ids")

ERASURE_PLAN: Final = ErasurePlan(
    steps=(
        Delete(PROGRESS, ("learner_id",), "a learner's progress is about them only"),
        Delete(QUIZ_ATTEMPTS, ("learner_id",), "answers and scores of the learner"),
        Delete(ENROLMENTS, ("learner_id",), "the learner's path enrolments"),
        Delete(ASSIGNMENTS, ("learner_id",), "work assigned to the learner"),
        Anonymise(ASSIGNMENTS, ("assigned_by",), "work the person assigned to others stays"),
        Anonymise(
            ITEMS,
            ("author_id", "reviewer_id", "content.registered_ids"),
            "content stays for the learners; session seats stay taken",
            also={"$inc": {"search_rev": 1}, "$set": {"search_pending": True}},
        ),
        Anonymise(ITEM_VERSIONS, ("editor_id",), "the history of content stays"),
        Anonymise(PATHS, ("author_id",), "paths stay for the learners"),
        # After remove_from_skills nothing is left here; kept as a safety net.
        Anonymise(SKILLS, _SKILL_ROLES, "the taxonomy stays"),
    ),
    not_personal={
        THEMES: "the tenant's theme tree",
        TENANT_SETTINGS: "tenant switches",
        SEARCH_SHARDS: "rows derived from items, rewritten by reindex_erased_items",
        SEARCH_MANIFESTS: "change counts per shard",
    },
)


async def reindex_erased_items(db: CatalogDatabase, index: SearchIndex, tenant_id: str) -> int:
    """Apply the tenant's pending items (those the erasure just anonymised) to search."""
    pending = await db.repo(ITEMS, tenant_id).find({"search_pending": True})
    return await index.apply_many(tenant_id, pending) if pending else 0


async def remove_from_skills(db: CatalogDatabase, tenant_id: str, person_id: str) -> int:
    """Take the person out of every skill's expert, trainer and reviewer lists."""
    skills = db.repo(SKILLS, tenant_id)
    changed = 0
    for skill in await skills.find(
        {"$or": [{role: person_id} for role in _SKILL_ROLES]}, projection={"_id": 1}
    ):
        if await skills.update_one(
            {"_id": skill["_id"]},
            {"$pullAll": {role: [person_id] for role in _SKILL_ROLES}},
        ):
            changed += 1
    return changed
