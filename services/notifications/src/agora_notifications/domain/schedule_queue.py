"""The scheduler's queues and a claim on one of their slots (the storage keeps each
queue's due slots; a claim's lease token is needed to settle the slot)."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from typing import Final


class ScheduleQueue(enum.StrEnum):
    """Each queue (its table)."""

    REMINDERS = "reminder_queue"
    ASSIGNMENTS = "assignment_queue"
    DIGESTS = "digest_queue"
    NUDGES = "nudge_queue"

    @property
    def table(self) -> str:
        return self.value

    @property
    def keys(self) -> tuple[str, ...]:
        """The columns naming one slot's row, after ``tenant_id``."""
        return _KEYS[self]


_KEYS: Final[dict[ScheduleQueue, tuple[str, ...]]] = {
    ScheduleQueue.REMINDERS: ("learner_id", "kind", "work_id"),
    ScheduleQueue.ASSIGNMENTS: ("learner_id", "kind", "work_id"),
    ScheduleQueue.DIGESTS: ("recipient_id",),
    ScheduleQueue.NUDGES: ("person_id",),
}


@dataclass(frozen=True)
class SlotClaim:
    """A due slot a worker leased: its queue, tenant and key, and the lease token."""

    queue: ScheduleQueue
    tenant_id: str
    key: tuple[str, ...]
    lease_owner: uuid.UUID
