"""Right to erasure in the catalog: what is deleted and what is kept anonymously.

The learner's own records (progress, quiz attempts, enrolments, assignments made to
them) are deleted. Content the person wrote stays, because others learn from it:
items, their versions and paths keep their text with ``[deleted user]`` as author or
editor, and assignments the person made to others keep ``[deleted user]`` as assigner.
Session registrations keep their seat under the placeholder (seat counts stay right).
The person is removed outright from the skills' expert, trainer and reviewer lists:
a placeholder reviewer would be meaningless.
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
from agora_catalog.service_layer.catalog import search_changed
from agora_catalog.service_layer.search_index import SearchIndex
from agora_contracts.events.domains.privacy import ERASED_PERSON_PLACEHOLDER
from agora_core.privacy import Anonymise, Delete, ErasurePlan, scrubbed
from agora_core.privacy.scrub import contains_person

_SKILL_ROLES: Final = ("expert_ids", "trainer_ids", "reviewer_ids")
_ITEM_PEOPLE: Final = ("author_id", "reviewer_id", "content.registered_ids")
_UNTOUCHED: Final = frozenset(
    {"_id", "tenant_id", "outbox", "outbox_lease_until", "outbox_lease_owner"}
)

ERASURE_PLAN: Final = ErasurePlan(
    steps=(
        Delete(PROGRESS, ("learner_id",), "a learner's progress is about them only"),
        Delete(QUIZ_ATTEMPTS, ("learner_id",), "answers and scores of the learner"),
        Delete(ENROLMENTS, ("learner_id",), "the learner's path enrolments"),
        Delete(ASSIGNMENTS, ("learner_id",), "work assigned to the learner"),
        Anonymise(ASSIGNMENTS, ("assigned_by",), "work the person assigned to others stays"),
        # After anonymise_items nothing is left here; kept as a safety net.
        Anonymise(
            ITEMS,
            _ITEM_PEOPLE,
            "content stays for the learners; session seats stay taken",
        ),
        Anonymise(ITEM_VERSIONS, ("editor_id",), "the history of content stays"),
        Anonymise(PATHS, ("author_id",), "paths stay for the learners"),
        # After remove_from_skills nothing is left here; kept as a safety net.
        Anonymise(SKILLS, _SKILL_ROLES, "the taxonomy stays"),
    ),
    not_personal={
        THEMES: "the tenant's theme tree",
        TENANT_SETTINGS: "tenant switches",
        SEARCH_SHARDS: "rows derived from items: rewritten by anonymise_items",
        SEARCH_MANIFESTS: "shard change counters",
    },
)


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


async def anonymise_items(
    db: CatalogDatabase, index: SearchIndex, tenant_id: str, person_id: str
) -> int:
    """Items naming the person get ``[deleted user]`` the way every item change is
    written: the change marks the search row stale in the same write, then the row is
    rewritten, so search results never show the erased id."""
    items = db.repo(ITEMS, tenant_id)
    changed = 0
    for item in await items.find({"$or": [{field: person_id} for field in _ITEM_PEOPLE]}):
        changes = {
            name: scrubbed(value, person_id, ERASED_PERSON_PLACEHOLDER)
            for name, value in item.items()
            if name not in _UNTOUCHED and contains_person(value, person_id)
        }
        if not changes:
            continue
        updated = await items.find_one_and_update(
            {"_id": item["_id"]}, search_changed({"$set": changes})
        )
        if updated is not None:
            await index.apply(tenant_id, updated)
            changed += 1
    return changed
