"""What a long-running operation is (AIP-151), free of storage and transport.

An operation belongs to the tenant of the caller who started it. While it runs, its
runner renews a lease; an operation whose lease lapsed (its replica died, or lost the
database for longer than the lease) is done with ABORTED the next time anyone reads
it, so nothing stays "running" forever. Codes are google.rpc.Code numbers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from agora_core.messaging.replay import DeadLetterReplay, ReplayProgress

OPERATION_NAME_PREFIX: Final = "operations/"

CANCELLED: Final = 1
ABORTED: Final = 10
INTERNAL: Final = 13
UNAVAILABLE: Final = 14

LEASE_LAPSED_MESSAGE: Final = (
    "its runner stopped before finishing (the replica died or lost its database): "
    "start the same replay again to resume where it stopped; nothing is sent twice"
)
SHUTDOWN_MESSAGE: Final = (
    "the replica running it shut down: start the same replay again to resume where it "
    "stopped; nothing is sent twice"
)


@dataclass(frozen=True)
class OperationFailure:
    """Why an operation ended without a result."""

    code: int
    message: str


@dataclass(frozen=True)
class ReplayOperation:
    """One dead-letter replay operation as stored."""

    tenant_id: str
    operation_id: str
    topic: str
    dead_letter_topic: str
    replayer_group: str
    dry_run: bool
    progress: ReplayProgress
    create_time: datetime
    update_time: datetime
    done: bool = False
    cancel_requested: bool = False
    remaining: int = 0
    failure: OperationFailure | None = None
    end_time: datetime | None = None

    @classmethod
    def new(
        cls,
        tenant_id: str,
        *,
        topic: str,
        dead_letter_topic: str,
        replayer_group: str,
        dry_run: bool,
    ) -> ReplayOperation:
        """A replay operation about to start: a fresh id, no progress yet."""
        now = datetime.now(UTC)
        return cls(
            tenant_id=tenant_id,
            operation_id=uuid.uuid4().hex,
            topic=topic,
            dead_letter_topic=dead_letter_topic,
            replayer_group=replayer_group,
            dry_run=dry_run,
            progress=ReplayProgress(),
            create_time=now,
            update_time=now,
        )

    @property
    def name(self) -> str:
        return f"{OPERATION_NAME_PREFIX}{self.operation_id}"

    def result(self) -> DeadLetterReplay | None:
        """The replay's report once it succeeded (None while running or after a failure)."""
        if not self.done or self.failure is not None:
            return None
        return DeadLetterReplay(
            topic=self.topic,
            dead_letter_topic=self.dead_letter_topic,
            replayer_group=self.replayer_group,
            dry_run=self.dry_run,
            read=self.progress.read,
            matched=self.progress.matched,
            replayed=self.progress.replayed,
            filtered_out=self.progress.read - self.progress.matched,
            remaining=self.remaining,
        )


def operation_id_of(name: str) -> str | None:
    """The id in ``operations/<id>`` (None when ``name`` is not such a name)."""
    if not name.startswith(OPERATION_NAME_PREFIX):
        return None
    found = name[len(OPERATION_NAME_PREFIX) :]
    if not found or len(found) > 64 or not found.isalnum():
        return None
    return found
