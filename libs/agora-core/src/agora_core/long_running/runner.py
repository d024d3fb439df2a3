"""Runs replay operations as background tasks of the service process.

The work runs in one task; beside it, every ``progress_seconds`` the runner writes the
latest progress with a renewed lease (the row's ``runner`` is this process's id) and
reads back whether a cancel was asked, so a cancel sent to any replica reaches the
one doing the work. Ends:
- the work returns: done with its report;
- it raises: done with UNAVAILABLE (the broker) or INTERNAL (logged here);
- a cancel was asked: the work is cancelled between two awaits (the replay commits
  its position per batch, so nothing acknowledged is lost), done with CANCELLED;
- the process stops (:meth:`OperationRunner.stop`): done with ABORTED, resumable;
- the process dies: nobody writes; the lease lapses and the next read marks it
  ABORTED (``agora_core.postgres.operations_table``).
A database error while renewing is logged and retried at the next beat; if it lasts
past the lease, the row is no longer this runner's and the work is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import structlog
from aiokafka.errors import KafkaError

from agora_core.long_running.model import (
    ABORTED,
    CANCELLED,
    INTERNAL,
    SHUTDOWN_MESSAGE,
    UNAVAILABLE,
    OperationFailure,
    ReplayOperation,
)
from agora_core.messaging.replay import DeadLetterReplay, ProgressListener, ReplayProgress
from agora_core.postgres.operations_table import PostgresOperations

log = structlog.get_logger(__name__)

ReplayWork = Callable[[ProgressListener], Coroutine[Any, Any, DeadLetterReplay]]
"""The replay to run, given where to report its progress."""


@dataclass
class _Latest:
    progress: ReplayProgress

    def hear(self, progress: ReplayProgress) -> None:
        self.progress = progress


class _Stop(Exception):
    """Why the runner cancelled the work (a cancel asked, or the lease lost)."""

    def __init__(self, failure: OperationFailure | None) -> None:
        super().__init__(failure.message if failure else "lease lost")
        self.failure = failure


class OperationRunner:
    """Starts, beats for and ends the operations of one process."""

    def __init__(
        self, store: PostgresOperations, *, lease_seconds: float, progress_seconds: float
    ) -> None:
        self.store = store
        self.runner_id = uuid.uuid4().hex
        self.lease_seconds = lease_seconds
        self._progress_seconds = progress_seconds
        self._running: dict[asyncio.Task[None], tuple[ReplayOperation, _Latest]] = {}

    async def start(self, operation: ReplayOperation, work: ReplayWork) -> ReplayOperation:
        """Store the operation (running, leased to this process) and run ``work``."""
        stored = await self.store.create(
            operation, runner=self.runner_id, lease_seconds=self.lease_seconds
        )
        latest = _Latest(stored.progress)
        task = asyncio.create_task(self._run(stored, work, latest), name=f"operation {stored.name}")
        self._running[task] = (stored, latest)
        task.add_done_callback(lambda done: self._running.pop(done, None))
        return stored

    async def stop(self) -> None:
        """Cancel the running operations; each is written done with ABORTED."""
        running = list(self._running.items())
        for task, _ in running:
            task.cancel()
        for task, (operation, latest) in running:
            with contextlib.suppress(asyncio.CancelledError):
                await task
            # Also for a task cancelled before it began (it wrote nothing itself).
            failure = OperationFailure(ABORTED, SHUTDOWN_MESSAGE)
            await self._finish(operation, latest.progress, failure=failure)

    async def _run(self, operation: ReplayOperation, work: ReplayWork, latest: _Latest) -> None:
        job = asyncio.create_task(work(latest.hear))
        try:
            report = await self._beat_until_done(operation, job, latest)
        except _Stop as stop:
            if stop.failure is not None:
                await self._finish(operation, latest.progress, failure=stop.failure)
            return
        except asyncio.CancelledError:  # stop(): it writes the end
            await _cancelled(job)
            raise
        except KafkaError as error:
            failure = OperationFailure(UNAVAILABLE, f"the broker failed: {error!r}"[:1000])
            await self._finish(operation, latest.progress, failure=failure)
            return
        except Exception:
            log.exception("operation failed", operation=operation.name)
            failure = OperationFailure(INTERNAL, "internal error (see the service's log)")
            await self._finish(operation, latest.progress, failure=failure)
            return
        final = ReplayProgress(report.read, report.matched, report.replayed, latest.progress.total)
        await self._finish(operation, final, remaining=report.remaining)

    async def _beat_until_done(
        self, operation: ReplayOperation, job: asyncio.Task[DeadLetterReplay], latest: _Latest
    ) -> DeadLetterReplay:
        while True:
            finished, _ = await asyncio.wait({job}, timeout=self._progress_seconds)
            if finished:
                return job.result()
            try:
                cancel = await self.store.renew(
                    operation.tenant_id,
                    operation.operation_id,
                    runner=self.runner_id,
                    progress=latest.progress,
                    lease_seconds=self.lease_seconds,
                )
            except Exception as error:  # the database: retried at the next beat
                log.warning("operation progress not written", error=repr(error))
                continue
            if cancel is None or cancel:
                await _cancelled(job)
                failure = OperationFailure(CANCELLED, "cancelled") if cancel else None
                if failure is None:
                    log.warning("operation lease lost, work stopped", operation=operation.name)
                raise _Stop(failure)

    async def _finish(
        self,
        operation: ReplayOperation,
        progress: ReplayProgress,
        *,
        remaining: int = 0,
        failure: OperationFailure | None = None,
    ) -> None:
        try:
            written = await self.store.finish(
                operation.tenant_id,
                operation.operation_id,
                runner=self.runner_id,
                progress=progress,
                remaining=remaining,
                failure=failure,
            )
        except Exception as error:  # the lease will lapse and a read will mark it
            log.warning("operation end not written", operation=operation.name, error=repr(error))
            return
        log.info(
            "operation ended",
            operation=operation.name,
            written=written,
            failure=failure.message if failure else None,
            read=progress.read,
            replayed=progress.replayed,
        )


async def _cancelled(job: asyncio.Task[DeadLetterReplay]) -> None:
    job.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await job
