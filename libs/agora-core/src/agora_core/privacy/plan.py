"""A service's erasure plan and the eraser that applies it.

Each service declares, collection by collection, what it deletes about a person and
what it keeps with the person's id replaced, plus the collections that hold nothing
personal (a unit test checks every collection is named). Steps the table cannot
express (keeping a counter right, a port another module owns, refreshing data derived
from what the table changed) are plain async callables run before or after the table.

Every step is idempotent by construction: it looks for the person id and removes it,
so a redelivered or repeated erasure finds nothing left and changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import structlog
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from agora_contracts.events.domains.privacy import ERASED_PERSON_PLACEHOLDER, PersonErasedV1
from agora_core.messaging.consumer import EventHandler
from agora_core.messaging.events import ReceivedEvent
from agora_core.messaging.idempotency import COLLECTION as PROCESSED_EVENTS
from agora_core.messaging.retry import PermanentError
from agora_core.outbox.entries import LEASE_FIELD, OUTBOX_FIELD, OWNER_FIELD
from agora_core.privacy.scrub import contains_person, scrubbed
from agora_core.privacy.tombstones import ERASED_PERSONS, ErasedPersons
from agora_core.storage import Document, TenantRepository

log = structlog.get_logger(__name__)

_UNTOUCHED: Final = frozenset({"_id", "tenant_id", OUTBOX_FIELD, LEASE_FIELD, OWNER_FIELD})
"""Never rewritten: identity, tenancy, and the relay's own fields (pending outbox entries
are events in flight, and the relay removes them by exact value)."""


@dataclass(frozen=True)
class Delete:
    """Delete the tenant's documents in which any of ``fields`` names the person, or
    any of ``text_fields`` mentions them (as a whole token)."""

    collection: str
    fields: tuple[str, ...]
    why: str
    text_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Anonymise:
    """Keep the documents in which any of ``fields`` names the person, with every
    occurrence of the id (in any field, lists and text mentions included) replaced by
    the placeholder, or by the erasure's pseudonym when ``pseudonymous``."""

    collection: str
    fields: tuple[str, ...]
    why: str
    pseudonymous: bool = False
    text_fields: tuple[str, ...] = ()
    """Text that may mention the person (``"{author} commented"``) without a field
    naming them: searched as text."""
    also: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Update operators added to each anonymising write, for invariants the service keeps
    in the same write as every change (e.g. a revision counter derived data follows)."""


@dataclass(frozen=True)
class DeleteKeyed:
    """Delete the tenant's documents whose ``_id`` is a ``:``-separated natural key with
    the person as one part (``tenant:kind:target:person``), for documents that hold the
    person nowhere else."""

    collection: str
    why: str


PlanStep = Delete | DeleteKeyed | Anonymise

ErasureStep = Callable[[str, str, str], Awaitable[int]]
"""A custom step: (tenant id, person id, pseudonym) → documents changed."""


@dataclass(frozen=True)
class ErasurePlan:
    """What one service does with a person's data when they are erased."""

    steps: tuple[PlanStep, ...]
    not_personal: Mapping[str, str] = field(default_factory=dict)
    """Collection → why it holds nothing about a person."""

    def collections(self) -> set[str]:
        """Every collection the plan names (erased or declared not personal)."""
        runtime = {ERASED_PERSONS, PROCESSED_EVENTS}  # digests; event ids and types
        return {s.collection for s in self.steps} | set(self.not_personal) | runtime

    def uncovered(self, collections: Iterable[str]) -> list[str]:
        """Collections of the service the plan forgot."""
        return sorted(set(collections) - self.collections())


@dataclass
class ErasureReport:
    """Documents deleted and anonymised per collection (counts only, never ids)."""

    deleted: dict[str, int] = field(default_factory=dict)
    anonymised: dict[str, int] = field(default_factory=dict)
    custom: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return (
            sum(self.deleted.values()) + sum(self.anonymised.values()) + sum(self.custom.values())
        )


class PersonEraser:
    """Applies a service's plan to one person in one tenant."""

    def __init__(
        self,
        database: AsyncDatabase[Document],
        plan: ErasurePlan,
        *,
        before: Sequence[tuple[str, ErasureStep]] = (),
        after: Sequence[tuple[str, ErasureStep]] = (),
        tombstones: ErasedPersons | None = None,
    ) -> None:
        self._database = database
        self._plan = plan
        self._before = tuple(before)
        self._after = tuple(after)
        self.tombstones = tombstones or ErasedPersons(database)

    async def erase(self, tenant_id: str, person_id: str) -> ErasureReport:
        """Tombstone first (so later events are dropped), then every step, then forget
        the pseudonym. Safe to run again at any point: nothing is left to change."""
        pseudonym = await self.tombstones.begin(tenant_id, person_id)
        report = ErasureReport()
        for name, step in self._before:
            report.custom[name] = await step(tenant_id, person_id, pseudonym)
        for planned in self._plan.steps:
            collection = self._database[planned.collection]
            if isinstance(planned, Delete):
                deleted = await delete_documents(
                    collection, tenant_id, planned.fields, person_id, planned.text_fields
                )
                report.deleted[planned.collection] = (
                    report.deleted.get(planned.collection, 0) + deleted
                )
            elif isinstance(planned, DeleteKeyed):
                deleted = await delete_keyed_documents(collection, tenant_id, person_id)
                report.deleted[planned.collection] = (
                    report.deleted.get(planned.collection, 0) + deleted
                )
            else:
                replacement = pseudonym if planned.pseudonymous else ERASED_PERSON_PLACEHOLDER
                report.anonymised[planned.collection] = report.anonymised.get(
                    planned.collection, 0
                ) + await anonymise_documents(
                    collection,
                    tenant_id,
                    planned.fields,
                    person_id,
                    replacement,
                    planned.text_fields,
                    planned.also,
                )
        for name, step in self._after:
            report.custom[name] = await step(tenant_id, person_id, pseudonym)
        await self.tombstones.complete(tenant_id, person_id)
        return report


def _naming(fields: Sequence[str], person_id: str, text_fields: Sequence[str] = ()) -> Document:
    # Text is searched as a plain substring (FerretDB and MongoDB regexes differ on
    # look-arounds); callers keep only documents where the id is a whole token.
    text = re.escape(person_id)
    return {
        "$or": [
            *({name: person_id} for name in fields),
            *({name: {"$regex": text}} for name in text_fields),
        ]
    }


async def delete_documents(
    collection: AsyncCollection[Document],
    tenant_id: str,
    fields: Sequence[str],
    person_id: str,
    text_fields: Sequence[str] = (),
) -> int:
    """Delete the tenant's documents in which a field of ``fields`` names the person
    (or a field of ``text_fields`` mentions them)."""
    repo = TenantRepository(collection, tenant_id)
    query = repo.scoped(_naming(fields, person_id, text_fields))
    if not text_fields:
        result = await collection.delete_many(query)
        return int(result.deleted_count)
    deleted = 0
    async for document in collection.find(query):
        if contains_person(document, person_id) and await repo.delete_one({"_id": document["_id"]}):
            deleted += 1
    return deleted


async def delete_keyed_documents(
    collection: AsyncCollection[Document], tenant_id: str, person_id: str
) -> int:
    """Delete the tenant's documents whose ``_id`` has the person as a ``:`` part."""
    repo = TenantRepository(collection, tenant_id)
    pattern = f"(^|:){re.escape(person_id)}(:|$)"
    result = await collection.delete_many(repo.scoped({"_id": {"$regex": pattern}}))
    return int(result.deleted_count)


async def anonymise_documents(
    collection: AsyncCollection[Document],
    tenant_id: str,
    fields: Sequence[str],
    person_id: str,
    replacement: str,
    text_fields: Sequence[str] = (),
    also: Mapping[str, Mapping[str, Any]] | None = None,
) -> int:
    """Replace the person id in every field of the documents ``fields`` find (each
    write also applies the update operators in ``also``).

    A document whose ``_id`` holds the person id cannot be kept under that id: the
    plan must delete it instead (a plan bug, reported as a permanent error).
    """
    repo = TenantRepository(collection, tenant_id)
    changed = 0
    async for document in collection.find(repo.scoped(_naming(fields, person_id, text_fields))):
        if contains_person(document["_id"], person_id):
            raise PermanentError(
                f"{collection.name}: a document keyed by the person cannot be anonymised"
            )
        changes = {
            name: scrubbed(value, person_id, replacement)
            for name, value in document.items()
            if name not in _UNTOUCHED and contains_person(value, person_id)
        }
        if changes:
            update: dict[str, dict[str, Any]] = {op: dict(v) for op, v in (also or {}).items()}
            update["$set"] = {**update.get("$set", {}), **changes}
            await repo.update_one({"_id": document["_id"]}, update)
            changed += 1
    return changed


def erasure_handler(eraser: PersonEraser) -> EventHandler:
    """The consumer handler of ``person.erased``: erase the person in the event's tenant."""

    async def person_erased(event: ReceivedEvent[Any]) -> None:
        erased: PersonErasedV1 = event.payload
        report = await eraser.erase(event.tenant_id, erased.person_id)
        # Counts and the erasure id only: the person id is what we just removed.
        log.info(
            "person erased",
            erasure_id=erased.erasure_id,
            reason=erased.reason,
            deleted=report.deleted,
            anonymised=report.anonymised,
            custom=report.custom,
        )

    return person_erased
