"""Right to erasure for services on PostgreSQL.

The ``person.erased`` event is handled in the consumer's unit of work: the tombstone,
every step of the service's plan and the event's processed mark commit together, so an
erasure is never half done — a crash rolls all of it back and the redelivery starts
again. So no "erasing" state and no stored pseudonym are needed: the pseudonym of one
erasure lives only in its transaction.

Each service declares its steps (``(name, step)`` pairs, a name per table it cleans)
and the tables that hold nothing personal; :meth:`PostgresPersonEraser.uncovered`
lets a test prove no table was forgotten. Steps are idempotent SQL in the service's
adapters: a repeated erasure finds nothing left to change.

Events about an erased person that arrive later are dropped by the guard that
:func:`with_erasure_batch` puts around every handler, in the same unit of work, so an
erasure earlier in the same batch is already seen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import structlog
from alembic import op

from agora_contracts.events.domains.privacy import (
    ERASED_PERSON_PLACEHOLDER,
    ERASURES_TOPIC,
    PersonErasedV1,
)
from agora_core.messaging.batch_consumer import BatchEventHandler, EventSetHandler, by_tenant
from agora_core.messaging.events import ReceivedEvent
from agora_core.postgres.schema import tenant_isolation_statements
from agora_core.postgres.unit_of_work import Database, UnitOfWork
from agora_core.privacy.guard import PERSON_ERASED, people_named
from agora_core.privacy.scrub import mention_regex
from agora_core.privacy.tombstones import new_pseudonym, person_digest

log = structlog.get_logger(__name__)

ERASED_PERSONS_TABLE: Final = "erased_persons"

# Digests only (see tombstones.person_digest): the table names nobody by itself.
_CREATE_TABLE: Final = """
CREATE TABLE erased_persons (
    tenant_id text NOT NULL,
    digest text NOT NULL,
    erased_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, digest)
)
"""
ERASED_CHANNEL: Final = "agora_erased"
"""Notified when a tombstone commits: gRPC verifiers forget who they knew was not erased
(:mod:`agora_core.privacy.callers`)."""
# The row and the notification in one statement (a data-modifying WITH always runs to
# completion); PostgreSQL delivers the notification only if the transaction commits.
_RECORD: Final = """
WITH recorded AS (
    INSERT INTO erased_persons (tenant_id, digest) VALUES (%s, %s)
    ON CONFLICT DO NOTHING
)
SELECT pg_notify(%s, '')
"""
_ANY_OF: Final = """
SELECT digest FROM erased_persons WHERE tenant_id = %s AND digest = ANY(%b::text[])
"""

RUNTIME_TABLES: Final = frozenset(
    {
        "alembic_version",
        "outbox",
        "processed_events",
        "request_ids",
        "operations",
        ERASED_PERSONS_TABLE,
    }
)
"""Tables every service has that hold no person id: Alembic's version, events in flight
(payloads leave with the relay), event ids and types, request ids of idempotent
creates (a client's token and the created resource's id), digests, long-running
operations (topics, consumer groups and counts)."""


def privacy_schema_statements() -> list[str]:
    """The tombstone table with row-level security."""
    return [_CREATE_TABLE, *tenant_isolation_statements(ERASED_PERSONS_TABLE)]


def create_privacy_schema() -> None:
    """Run in a service's migration (inside Alembic): the tombstone table."""
    for statement in privacy_schema_statements():
        op.execute(statement)


@dataclass(frozen=True)
class Erasure:
    """One person's erasure in one tenant. ``pseudonym`` replaces the person's id where
    a record must stay linkable to "the same anonymous person" (a ledger); it is random
    and recorded nowhere but in the rows it replaces the id in."""

    tenant_id: str
    person_id: str
    pseudonym: str


ErasureStep = Callable[[UnitOfWork, Erasure], Awaitable[int]]
"""A step of a plan: deletes or anonymises the person's rows in the unit of work (scoped
to the erasure's tenant) and returns how many rows it changed."""


def sql_step(*statements: str) -> ErasureStep:
    """A step running ``statements`` in order, each with the parameters ``tenant``,
    ``person``, ``pattern`` (the person's id as a whole token, a PostgreSQL regular
    expression for ``~`` and ``regexp_replace``) and ``placeholder``."""

    async def step(uow: UnitOfWork, erasure: Erasure) -> int:
        params = {
            "tenant": erasure.tenant_id,
            "person": erasure.person_id,
            "pattern": mention_regex(erasure.person_id),
            "placeholder": ERASED_PERSON_PLACEHOLDER,
        }
        changed = 0
        for statement in statements:
            cursor = await uow.connection.execute(statement, params)
            changed += max(cursor.rowcount, 0)
        return changed

    return step


def _digests(tenant_id: str, values: Iterable[str]) -> list[str]:
    return sorted({person_digest(tenant_id, value) for value in values if value})


async def erased_among(uow: UnitOfWork, tenant_id: str, values: Iterable[str]) -> bool:
    """True when any of ``values`` is a person erased in the tenant (one indexed read)."""
    digests = _digests(tenant_id, values)
    if not digests:
        return False
    await uow.set_tenant(tenant_id)
    cursor = await uow.connection.execute(_ANY_OF, (tenant_id, digests))
    return await cursor.fetchone() is not None


class PostgresErasedPersons:
    """The tombstones, read outside a consumer (the gRPC verifier of erased callers)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def is_erased(self, tenant_id: str, person_id: str) -> bool:
        return await self.any_erased(tenant_id, [person_id])

    async def any_erased(self, tenant_id: str, values: Iterable[str]) -> bool:
        """True when any of ``values`` is erased in the tenant (one round trip: this
        runs before every gRPC call)."""
        digests = _digests(tenant_id, values)
        if not digests:
            return False
        return bool(await self._database.read_once(tenant_id, _ANY_OF, (tenant_id, digests)))


@dataclass
class ErasureCounts:
    """Rows changed per step (counts only, never ids)."""

    per_step: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return sum(self.per_step.values())


class PostgresPersonEraser:
    """Applies a service's erasure steps to one person, in the caller's unit of work."""

    def __init__(
        self,
        database: Database,
        steps: Sequence[tuple[str, ErasureStep]],
        *,
        not_personal: Mapping[str, str] | None = None,
    ) -> None:
        self._steps = tuple(steps)
        self._not_personal = dict(not_personal or {})
        self.tombstones = PostgresErasedPersons(database)

    async def erase(self, uow: UnitOfWork, tenant_id: str, person_id: str) -> ErasureCounts:
        """Tombstone first (events later in the batch are dropped), then every step."""
        await uow.set_tenant(tenant_id)
        await uow.connection.execute(
            _RECORD, (tenant_id, person_digest(tenant_id, person_id), ERASED_CHANNEL)
        )
        erasure = Erasure(tenant_id, person_id, new_pseudonym())
        counts = ErasureCounts()
        for name, step in self._steps:
            counts.per_step[name] = counts.per_step.get(name, 0) + await step(uow, erasure)
        return counts

    def uncovered(self, tables: Iterable[str]) -> list[str]:
        """Tables of the service that neither a step nor ``not_personal`` names."""
        named = {name for name, _ in self._steps} | set(self._not_personal) | RUNTIME_TABLES
        return sorted(set(tables) - named)


def erasure_handler(eraser: PostgresPersonEraser) -> BatchEventHandler:
    """The batch consumer's handler of ``person.erased``."""

    async def person_erased(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
        erased: PersonErasedV1 = event.payload
        counts = await eraser.erase(uow, event.tenant_id, erased.person_id)
        # Counts and the erasure id only: the person id is what we just removed.
        log.info(
            "person erased",
            erasure_id=erased.erasure_id,
            reason=erased.reason,
            changed=counts.per_step,
        )

    return person_erased


def _drops(event: ReceivedEvent[Any], placeholder_too: bool) -> tuple[bool, set[str]]:
    named = people_named(event)
    return placeholder_too and ERASED_PERSON_PLACEHOLDER in named, named


def _guarded(handler: BatchEventHandler, placeholder_too: bool) -> BatchEventHandler:
    async def handle(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
        placeholder, named = _drops(event, placeholder_too)
        if placeholder or await erased_among(uow, event.tenant_id, named):
            log.info("event dropped: it names an erased person", event_type=event.envelope.type)
            return
        await handler(event, uow)

    return handle


def _guarded_set(handler: EventSetHandler, placeholder_too: bool) -> EventSetHandler:
    async def handle(events: Sequence[ReceivedEvent[Any]], uow: UnitOfWork) -> None:
        kept: list[ReceivedEvent[Any]] = []
        for tenant_id, group in by_tenant(events):
            named_per_event = [_drops(event, placeholder_too) for event in group]
            everyone = set().union(*(named for _, named in named_per_event))
            # One read for the whole run; only when someone in it was erased, per event.
            anyone_erased = await erased_among(uow, tenant_id, everyone)
            for event, (placeholder, named) in zip(group, named_per_event, strict=True):
                if placeholder or (anyone_erased and await erased_among(uow, tenant_id, named)):
                    log.info(
                        "event dropped: it names an erased person", event_type=event.envelope.type
                    )
                else:
                    kept.append(event)
        if kept:
            await handler(kept, uow)

    return handle


def with_erasure_batch(
    topics: Sequence[str],
    handlers: Mapping[str, BatchEventHandler],
    eraser: PostgresPersonEraser,
    *,
    set_handlers: Mapping[str, EventSetHandler] | None = None,
    per_person_records: bool = False,
) -> tuple[list[str], dict[str, BatchEventHandler], dict[str, EventSetHandler]]:
    """A batch consumer's topics and handlers with erasure added.

    Subscribes the erasures topic, handles ``person.erased`` with ``eraser`` (before a
    handler the service already had for it), and wraps every other handler and set
    handler so that events naming an erased person are dropped. ``per_person_records``:
    the service keeps records per person named in events (points, inboxes), so events
    naming the ``[deleted user]`` placeholder are dropped too.
    """
    guarded = {
        event_type: _guarded(handler, per_person_records)
        for event_type, handler in handlers.items()
        if event_type != PERSON_ERASED
    }
    guarded_sets = {
        event_type: _guarded_set(handler, per_person_records)
        for event_type, handler in (set_handlers or {}).items()
    }
    erase = erasure_handler(eraser)
    existing = handlers.get(PERSON_ERASED)
    if existing is None:
        guarded[PERSON_ERASED] = erase
    else:
        then = existing

        async def erase_then_existing(event: ReceivedEvent[Any], uow: UnitOfWork) -> None:
            await erase(event, uow)
            await then(event, uow)

        guarded[PERSON_ERASED] = erase_then_existing
    return sorted({*topics, ERASURES_TOPIC}), guarded, guarded_sets
