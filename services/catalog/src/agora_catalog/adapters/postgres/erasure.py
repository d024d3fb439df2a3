"""Right to erasure in the catalog's tables: what is deleted, what is kept anonymously.

The learner's own records (progress, quiz attempts, enrolments, assignments made to
them) are deleted. Content the person wrote stays, because others learn from it:
items, their versions and paths keep their text with ``[deleted user]`` as author or
editor (and in place of the person's id in the text), and assignments the person made
to others keep ``[deleted user]`` as assigner. Session seats stay taken by the
placeholder (seat counts stay right). The person leaves the skills' expert, trainer
and reviewer lists outright: a placeholder reviewer would be meaningless. Every step
is idempotent: run again, it finds nothing left to change.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Final

from psycopg.types.json import Jsonb

from agora_catalog.adapters.postgres.assignments import PostgresAssignmentRepository
from agora_catalog.adapters.postgres.items import ITEM_COLUMNS, PostgresItemRepository, item_of
from agora_catalog.adapters.postgres.paths import (
    PostgresEnrolmentRepository,
    PostgresPathRepository,
)
from agora_catalog.adapters.postgres.progress import PostgresProgressRepository
from agora_catalog.adapters.postgres.quizzes import PostgresQuizAttemptRepository
from agora_catalog.adapters.postgres.rows import execute, fetch_all
from agora_catalog.adapters.postgres.taxonomy import PostgresTaxonomyRepository
from agora_catalog.domain.model import Item
from agora_contracts.events.domains.privacy import ERASED_PERSON_PLACEHOLDER
from agora_core.postgres.unit_of_work import UnitOfWork
from agora_core.privacy.postgres import Erasure, ErasureStep
from agora_core.privacy.scrub import scrubbed

PLACEHOLDER: Final = ERASED_PERSON_PLACEHOLDER

NOT_PERSONAL: Final = {
    "themes": "the tenant's theme tree",
    "tenant_settings": "tenant switches",
}


def _scrub(text: Any, person: str) -> Any:
    return scrubbed(text, person, PLACEHOLDER)


async def progress(uow: UnitOfWork, e: Erasure) -> int:
    return await PostgresProgressRepository(uow.connection, e.tenant_id).delete_learner(e.person_id)


async def quiz_attempts(uow: UnitOfWork, e: Erasure) -> int:
    repo = PostgresQuizAttemptRepository(uow.connection, e.tenant_id)
    return await repo.delete_learner(e.person_id)


async def enrolments(uow: UnitOfWork, e: Erasure) -> int:
    repo = PostgresEnrolmentRepository(uow.connection, e.tenant_id)
    return await repo.delete_learner(e.person_id)


async def assignments(uow: UnitOfWork, e: Erasure) -> int:
    repo = PostgresAssignmentRepository(uow.connection, e.tenant_id)
    return await repo.erase_person(e.person_id, PLACEHOLDER)


async def items(uow: UnitOfWork, e: Erasure) -> int:
    """Items naming the person (as author, reviewer, seat holder or in their text) are
    rewritten through the repository, so their search vector follows."""
    rows = await fetch_all(
        uow.connection,
        f"SELECT {ITEM_COLUMNS} FROM items WHERE tenant_id = %(t)s AND ("  # noqa: S608
        "author_id = %(p)s OR reviewer_id = %(p)s OR registered_ids @> ARRAY[%(p)s] "
        "OR strpos(title || ' ' || summary || ' ' || content::text, %(p)s) > 0)",
        {"t": e.tenant_id, "p": e.person_id},
    )
    repo = PostgresItemRepository(uow.connection, e.tenant_id)
    for row in rows:
        await repo.save(_anonymous(item_of(row), e.person_id))
    return len(rows)


def _anonymous(item: Item, person: str) -> Item:
    f = item.fields
    return dataclasses.replace(
        item,
        fields=dataclasses.replace(
            f,
            title=_scrub(f.title, person),
            summary=_scrub(f.summary, person),
            content=_scrub(f.content, person),
        ),
        author_id=PLACEHOLDER if item.author_id == person else item.author_id,
        reviewer_id=PLACEHOLDER if item.reviewer_id == person else item.reviewer_id,
        registered_ids=tuple(PLACEHOLDER if r == person else r for r in item.registered_ids),
    )


async def item_versions(uow: UnitOfWork, e: Erasure) -> int:
    rows = await fetch_all(
        uow.connection,
        "SELECT item_id, version, title, summary, content, editor_id FROM item_versions "
        "WHERE tenant_id = %(t)s AND (editor_id = %(p)s "
        "OR strpos(title || ' ' || summary || ' ' || content::text, %(p)s) > 0)",
        {"t": e.tenant_id, "p": e.person_id},
    )
    for row in rows:
        await execute(
            uow.connection,
            "UPDATE item_versions SET title = %s, summary = %s, content = %s, editor_id = %s "
            "WHERE tenant_id = %s AND item_id = %s AND version = %s",
            (
                _scrub(row["title"], e.person_id),
                _scrub(row["summary"], e.person_id),
                Jsonb(_scrub(row["content"], e.person_id)),
                PLACEHOLDER if row["editor_id"] == e.person_id else row["editor_id"],
                e.tenant_id,
                row["item_id"],
                row["version"],
            ),
        )
    return len(rows)


async def paths(uow: UnitOfWork, e: Erasure) -> int:
    repo = PostgresPathRepository(uow.connection, e.tenant_id)
    return await repo.anonymise_person(e.person_id, PLACEHOLDER)


async def skills(uow: UnitOfWork, e: Erasure) -> int:
    repo = PostgresTaxonomyRepository(uow.connection, e.tenant_id)
    return await repo.remove_person(e.person_id)


STEPS: Final[tuple[tuple[str, ErasureStep], ...]] = (
    ("progress", progress),
    ("quiz_attempts", quiz_attempts),
    ("enrolments", enrolments),
    ("assignments", assignments),
    ("items", items),
    ("item_versions", item_versions),
    ("paths", paths),
    ("skills", skills),
)
