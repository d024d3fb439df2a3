"""The ``operations`` table: long-running operations (AIP-151) of a service, in its database.

Any replica reads and cancels any operation of the caller's tenant; only the replica
whose ``runner`` id is on the row writes its progress, and only while its lease holds.
Every statement runs in a unit of work scoped to the operation's tenant (row-level
security applies). Times are the database's (``now()``), one clock for all replicas.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from alembic import op

from agora_core.long_running.model import (
    ABORTED,
    LEASE_LAPSED_MESSAGE,
    OperationFailure,
    ReplayOperation,
)
from agora_core.messaging.replay import ReplayProgress
from agora_core.postgres.schema import tenant_isolation_statements
from agora_core.postgres.unit_of_work import Database

OPERATIONS_TABLE: Final = "operations"

_CREATE_TABLE: Final = """
CREATE TABLE operations (
    tenant_id text NOT NULL,
    operation_id text NOT NULL,
    topic text NOT NULL,
    dead_letter_topic text NOT NULL,
    replayer_group text NOT NULL,
    dry_run boolean NOT NULL,
    read_count bigint NOT NULL DEFAULT 0,
    matched_count bigint NOT NULL DEFAULT 0,
    replayed_count bigint NOT NULL DEFAULT 0,
    total_count bigint NOT NULL DEFAULT 0,
    remaining_count bigint NOT NULL DEFAULT 0,
    done boolean NOT NULL DEFAULT false,
    cancel_requested boolean NOT NULL DEFAULT false,
    error_code integer,
    error_message text,
    runner text NOT NULL,
    lease_until timestamptz NOT NULL,
    create_time timestamptz NOT NULL DEFAULT now(),
    update_time timestamptz NOT NULL DEFAULT now(),
    end_time timestamptz,
    PRIMARY KEY (tenant_id, operation_id)
)
"""
# ListOperations, newest first: all of a tenant's, the running ones (also what the
# lease expiry reads) and the done ones. The partial indexes need their condition
# written as a constant in the query (``NOT done``), not as a parameter.
_NEWEST_INDEX: Final = (
    "CREATE INDEX operations_newest ON operations (tenant_id, create_time DESC, operation_id DESC)"
)
_RUNNING_INDEX: Final = (
    "CREATE INDEX operations_running ON operations"
    " (tenant_id, create_time DESC, operation_id DESC) WHERE NOT done"
)
_DONE_INDEX: Final = (
    "CREATE INDEX operations_done ON operations"
    " (tenant_id, create_time DESC, operation_id DESC) WHERE done"
)

_COLUMNS: Final = (
    "tenant_id, operation_id, topic, dead_letter_topic, replayer_group, dry_run, read_count,"
    " matched_count, replayed_count, total_count, remaining_count, done, cancel_requested,"
    " error_code, error_message, create_time, update_time, end_time"
)
_EXPIRE: Final = (
    "UPDATE operations SET done = true, error_code = %s, error_message = %s,"
    " end_time = now(), update_time = now()"
    " WHERE tenant_id = %s AND NOT done AND lease_until < now()"
)
_PROGRESS: Final = (
    "read_count = %s, matched_count = %s, replayed_count = %s, total_count = %s,"
    " update_time = now()"
)


def operations_schema_statements() -> list[str]:
    """The table, its list indexes and row-level security (for a service's migration)."""
    return [
        _CREATE_TABLE,
        _NEWEST_INDEX,
        _RUNNING_INDEX,
        _DONE_INDEX,
        *tenant_isolation_statements(OPERATIONS_TABLE),
    ]


def create_operations_schema() -> None:
    """Run in a service's migration (inside Alembic): the operations table."""
    for statement in operations_schema_statements():
        op.execute(statement)


class PostgresOperations:
    """Reads and writes replay operations; expires lapsed leases on every read."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def create(
        self, operation: ReplayOperation, *, runner: str, lease_seconds: float
    ) -> ReplayOperation:
        async with self._database.unit_of_work(operation.tenant_id) as uow:
            cursor = await uow.connection.execute(
                "INSERT INTO operations (tenant_id, operation_id, topic, dead_letter_topic,"  # noqa: S608
                " replayer_group, dry_run, runner, lease_until)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, now() + make_interval(secs => %s))"
                f" RETURNING {_COLUMNS}",
                (
                    operation.tenant_id,
                    operation.operation_id,
                    operation.topic,
                    operation.dead_letter_topic,
                    operation.replayer_group,
                    operation.dry_run,
                    runner,
                    lease_seconds,
                ),
            )
            return _operation(await cursor.fetchone())

    async def renew(
        self,
        tenant_id: str,
        operation_id: str,
        *,
        runner: str,
        progress: ReplayProgress,
        lease_seconds: float,
    ) -> bool | None:
        """Write progress and extend the lease; whether a cancel was asked, or None when
        the operation is no longer this runner's to write (done, or its lease lapsed)."""
        async with self._database.unit_of_work(tenant_id) as uow:
            cursor = await uow.connection.execute(
                f"UPDATE operations SET {_PROGRESS},"  # noqa: S608 - constants only
                " lease_until = now() + make_interval(secs => %s)"
                " WHERE tenant_id = %s AND operation_id = %s AND runner = %s"
                " AND NOT done AND lease_until >= now()"
                " RETURNING cancel_requested",
                (*_counts(progress), lease_seconds, tenant_id, operation_id, runner),
            )
            row = await cursor.fetchone()
        return None if row is None else bool(row[0])

    async def finish(
        self,
        tenant_id: str,
        operation_id: str,
        *,
        runner: str,
        progress: ReplayProgress,
        remaining: int = 0,
        failure: OperationFailure | None = None,
    ) -> bool:
        """Mark it done with its final counts; False if it was no longer this runner's."""
        async with self._database.unit_of_work(tenant_id) as uow:
            cursor = await uow.connection.execute(
                f"UPDATE operations SET {_PROGRESS}, remaining_count = %s, done = true,"  # noqa: S608
                " error_code = %s, error_message = %s, end_time = now()"
                " WHERE tenant_id = %s AND operation_id = %s AND runner = %s AND NOT done",
                (
                    *_counts(progress),
                    remaining,
                    failure.code if failure else None,
                    failure.message if failure else None,
                    tenant_id,
                    operation_id,
                    runner,
                ),
            )
            return cursor.rowcount == 1

    async def get(self, tenant_id: str, operation_id: str) -> ReplayOperation | None:
        async with self._database.unit_of_work(tenant_id) as uow:
            await uow.connection.execute(
                _EXPIRE + " AND operation_id = %s",
                (ABORTED, LEASE_LAPSED_MESSAGE, tenant_id, operation_id),
            )
            cursor = await uow.connection.execute(
                f"SELECT {_COLUMNS} FROM operations"  # noqa: S608 - constants only
                " WHERE tenant_id = %s AND operation_id = %s",
                (tenant_id, operation_id),
            )
            row = await cursor.fetchone()
        return None if row is None else _operation(row)

    async def request_cancel(self, tenant_id: str, operation_id: str) -> bool:
        """Flag a running operation for its runner; False when there is no such one."""
        async with self._database.unit_of_work(tenant_id) as uow:
            cursor = await uow.connection.execute(
                "UPDATE operations SET cancel_requested = (cancel_requested OR NOT done),"
                " update_time = now()"
                " WHERE tenant_id = %s AND operation_id = %s RETURNING operation_id",
                (tenant_id, operation_id),
            )
            return await cursor.fetchone() is not None

    async def newest(
        self,
        tenant_id: str,
        *,
        done: bool | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[ReplayOperation]:
        """A page of the tenant's operations, newest first, strictly after ``after``."""
        conditions = ["tenant_id = %s"]
        params: list[Any] = [tenant_id]
        if done is not None:
            conditions.append("done" if done else "NOT done")
        if after is not None:
            conditions.append("(create_time, operation_id) < (%s, %s)")
            params.extend(after)
        async with self._database.unit_of_work(tenant_id) as uow:
            await uow.connection.execute(_EXPIRE, (ABORTED, LEASE_LAPSED_MESSAGE, tenant_id))
            cursor = await uow.connection.execute(
                # The conditions are constants of this method; values are parameters.
                f"SELECT {_COLUMNS} FROM operations WHERE {' AND '.join(conditions)}"  # noqa: S608
                " ORDER BY create_time DESC, operation_id DESC LIMIT %s",
                (*params, limit),
            )
            return [_operation(row) for row in await cursor.fetchall()]


def _counts(progress: ReplayProgress) -> tuple[int, int, int, int]:
    return (progress.read, progress.matched, progress.replayed, progress.total)


def _operation(row: Any) -> ReplayOperation:
    (
        tenant_id,
        operation_id,
        topic,
        dead_letter_topic,
        replayer_group,
        dry_run,
        read,
        matched,
        replayed,
        total,
        remaining,
        done,
        cancel_requested,
        error_code,
        error_message,
        create_time,
        update_time,
        end_time,
    ) = row
    return ReplayOperation(
        tenant_id=tenant_id,
        operation_id=operation_id,
        topic=topic,
        dead_letter_topic=dead_letter_topic,
        replayer_group=replayer_group,
        dry_run=dry_run,
        progress=ReplayProgress(read, matched, replayed, total),
        create_time=create_time,
        update_time=update_time,
        done=done,
        cancel_requested=cancel_requested,
        remaining=remaining,
        failure=None if error_code is None else OperationFailure(error_code, error_message or ""),
        end_time=end_time,
    )
