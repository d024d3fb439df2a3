"""The unit of work: one transaction holding a state change, the outbox rows of the
events it causes and (in consumers) the processed-event marks of the batch.

Use cases open one with :meth:`Database.unit_of_work` and hand it to repositories;
events collected with :meth:`UnitOfWork.add_events` are written to the ``outbox``
table just before the commit, after the state change took its row locks, so the
relay publishes the events of one aggregate in commit order.

The tenant is a transaction-local setting (``set_config(…, true)``) that row-level
security policies read: it never outlives the transaction, which keeps pooled and
PgBouncer-shared connections free of session state.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any, Final

import psycopg
from opentelemetry.trace import SpanKind

from agora_core.messaging.events import OutgoingEvent
from agora_core.postgres.batched_reads import Statement, read_many
from agora_core.postgres.pool import AsyncConnection, Pool
from agora_core.postgres.tenancy import require_tenant
from agora_core.tracing.spans import MAX_LINKS, child_span

TENANT_SETTING: Final = "agora.tenant_id"
OUTBOX_CHANNEL: Final = "agora_outbox"
OUTBOX_LANES: Final = 32
"""Lanes of the outbox: a key always falls in the same lane, and one relay at a time
holds a lane, so events of one key leave in order even with several relays."""

# Arrays as binary parameters (%b): no per-element quoting of text arrays. The rows and
# the relays' wake-up (delivered when, and only if, the transaction commits) go in one
# statement: a data-modifying WITH always runs to completion, and saves a round trip.
_INSERT_OUTBOX: Final = """
WITH inserted AS (
    INSERT INTO outbox (id, aggregatetype, aggregateid, type, payload, headers, tenant_id, lane)
    SELECT * FROM unnest(
        %b::text[]::uuid[], %b::text[], %b::text[], %b::text[], %b::text[]::jsonb[],
        %b::text[]::jsonb[], %b::text[], %b::int2[]
    )
)
SELECT pg_notify(%s, '')
"""


def outbox_lane(key: str) -> int:
    """The lane of a partition key (stable across processes and versions)."""
    return zlib.crc32(key.encode("utf-8")) % OUTBOX_LANES


def outbox_columns(events: Sequence[OutgoingEvent]) -> tuple[list[Any], ...]:
    """The outbox insert's parameters: one array per column, in the statement's order."""
    return (
        [e.event_id for e in events],
        [e.topic for e in events],
        [e.key for e in events],
        [e.headers.get("ce_type", "") for e in events],
        [e.value.decode("utf-8") for e in events],
        [json.dumps(e.headers) for e in events],
        [e.headers.get("ce_tenantid", "") for e in events],
        [outbox_lane(e.key) for e in events],
    )


class UnitOfWork:
    """One open transaction. Repositories run their SQL on :attr:`connection`."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self.tenant_id: str | None = None
        self._events: list[OutgoingEvent] = []

    async def set_tenant(self, tenant_id: str) -> None:
        """Scope the rest of this transaction to ``tenant_id`` (row-level security)."""
        tenant = require_tenant(tenant_id)
        if tenant != self.tenant_id:
            await self.connection.execute(
                "SELECT set_config(%s, %s, true)", (TENANT_SETTING, tenant)
            )
            self.tenant_id = tenant

    def add_events(self, events: Sequence[OutgoingEvent]) -> None:
        """Publish ``events`` if, and only if, this unit of work commits."""
        self._events.extend(events)

    @property
    def events(self) -> tuple[OutgoingEvent, ...]:
        return tuple(self._events)

    async def write_outbox(self) -> int:
        """Insert the collected events as outbox rows (one statement); return how many."""
        events, self._events = self._events, []
        if not events:
            return 0
        with child_span(
            "outbox write",
            SpanKind.INTERNAL,
            lambda: {
                "agora.outbox.events": len(events),
                "cloudevents.event_ids": [e.event_id for e in events[:MAX_LINKS]],
            },
        ):
            await self.connection.execute(_INSERT_OUTBOX, (*outbox_columns(events), OUTBOX_CHANNEL))
        return len(events)

    async def commit(self) -> int:
        """The outbox rows and COMMIT in one round trip (psycopg's pipeline mode: both
        are sent, then both results awaited; a failed insert aborts the COMMIT and
        raises). Returns how many outbox rows were written."""
        if not self._events:
            await self.connection.execute("COMMIT")
            return 0
        async with self.connection.pipeline():
            wrote = await self.write_outbox()
            await self.connection.execute("COMMIT")
        return wrote


async def _begin(uow: UnitOfWork, tenant_id: str | None, *, pipelined: bool) -> None:
    """BEGIN and the tenant in one round trip (one message, psycopg's client-side
    binding): the transaction stays open after it, as after a lone BEGIN. Savepoints
    opened inside with ``connection.transaction()`` work as in any open transaction.

    Pipelined (the connection already in pipeline mode), both are only queued: they
    leave with the transaction's first statement whose result is read."""
    tenant = None if tenant_id is None else require_tenant(tenant_id)
    if pipelined:
        await uow.connection.execute("BEGIN")
        if tenant is not None:
            await uow.connection.execute(
                "SELECT set_config(%s, %s, true)", (TENANT_SETTING, tenant)
            )
    elif tenant is None:
        await uow.connection.execute("BEGIN")
    else:
        await psycopg.AsyncClientCursor(uow.connection).execute(
            "BEGIN; SELECT set_config(%s, %s, true)", (TENANT_SETTING, tenant)
        )
    uow.tenant_id = tenant


@asynccontextmanager
async def _no_pipeline() -> AsyncIterator[None]:
    yield


class Database:
    """A service's database: the pool and the way to open units of work."""

    def __init__(self, pool: Pool, *, on_outbox: Callable[[], None] | None = None) -> None:
        self.pool = pool
        self._on_outbox = on_outbox

    def wake_relay_with(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after each commit that wrote outbox rows (same process)."""
        self._on_outbox = callback

    @asynccontextmanager
    async def unit_of_work(
        self, tenant_id: str | None = None, *, pipelined: bool = False
    ) -> AsyncIterator[UnitOfWork]:
        """Open a transaction (scoped to ``tenant_id`` when given); commit on success.

        An exception rolls everything back, outbox rows included, and propagates.

        ``pipelined`` runs the whole transaction in psycopg's pipeline mode: a statement
        is sent without waiting for the one before, and the client waits only when it
        reads a result. BEGIN and the tenant then leave with the first statement whose
        rows are read, and the outbox rows with COMMIT: a short write of N statements
        costs N round trips instead of N + 2. For transactions that read every
        statement's rows (``cursor.rowcount`` is only known once results arrive; an
        error surfaces at the next read or at the end).
        """
        async with self.pool.connection() as connection:
            uow = UnitOfWork(connection)
            try:
                async with connection.pipeline() if pipelined else _no_pipeline():
                    await _begin(uow, tenant_id, pipelined=pipelined)
                    yield uow
                    wrote = await uow.commit()
            except BaseException:
                # A broken connection cannot roll back; the pool discards it, and the
                # caller sees what went wrong first, not the failed ROLLBACK.
                with suppress(psycopg.Error):
                    await connection.execute("ROLLBACK")
                raise
        if wrote and self._on_outbox is not None:
            self._on_outbox()

    async def read_once(
        self, tenant_id: str, query: str, params: Sequence[object] = ()
    ) -> list[tuple[Any, ...]]:
        """The rows of one tenant-scoped read, in one round trip (see :meth:`read_batch`).

        A unit of work costs three round trips for one read (BEGIN with the tenant, the
        query, COMMIT); reads made on every call (the erased-caller check of each gRPC
        call) take one instead. ``query`` is one read-only statement.
        """
        return (await self.read_batch(tenant_id, [(query, params)]))[0]

    async def read_batch(
        self, tenant_id: str, statements: Sequence[Statement]
    ) -> list[list[tuple[Any, ...]]]:
        """The rows of each of several tenant-scoped reads, in one round trip.

        The tenant setting and the statements go in one message (psycopg's client-side
        binding): PostgreSQL runs the statements of one message as one implicit
        transaction, so the transaction-local tenant applies to every statement and ends
        with them. Each statement reads its own snapshot (READ COMMITTED, as inside a
        unit of work). ``statements`` are read-only.
        """
        setting: Statement = (
            "SELECT set_config(%s, %s, true)",
            (TENANT_SETTING, require_tenant(tenant_id)),
        )
        async with self.pool.connection() as connection:
            return (await read_many(connection, [setting, *statements]))[1:]
