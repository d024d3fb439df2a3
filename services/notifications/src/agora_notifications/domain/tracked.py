"""Work a learner started or was assigned, followed for reminders and assignment
alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Assignment:
    """Who assigned the work, when it is due, which alerts went out."""

    assignment_id: str
    assigned_by: str
    due_at: datetime | None
    compliance: bool = False
    due_soon_sent: bool = False
    overdue_sent: bool = False


@dataclass(frozen=True)
class TrackedWork:
    learner_id: str
    kind: str
    work_id: str
    title: str = ""
    path_id: str | None = None
    completed: bool = False
    last_activity_at: datetime | None = None
    next_reminder_at: datetime | None = None
    reminders_sent: int = 0
    assignment: Assignment | None = None
    stalled: bool = False
    stalled_reported: bool = False
