"""Work a learner started or was assigned, followed for reminders and assignment
alerts."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from agora_notifications.domain.model import Category, NotificationDraft


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


def stalled_work_digests(
    tenant_id: str, stalled: Sequence[TrackedWork]
) -> list[tuple[NotificationDraft, list[TrackedWork]]]:
    """One stalled-work notification per manager, listing their assignees' stalled work
    (its source key names the set, so the same set is never reported twice)."""
    groups: dict[str, list[TrackedWork]] = defaultdict(list)
    for work in stalled:
        if work.assignment is not None:
            groups[work.assignment.assigned_by].append(work)
    digests = []
    for manager, works in sorted(groups.items()):
        ids = sorted(f"{tenant_id}:{w.learner_id}:{w.kind}:{w.work_id}" for w in works)
        key = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:24]
        draft = NotificationDraft(
            recipient_id=manager,
            category=Category.STALLED_WORK,
            source_key=f"stalled:{key}",
            subject_id=manager,
            params={
                "count": str(len(works)),
                "items": "; ".join(f"{w.learner_id}: {w.title}" for w in works),
            },
        )
        digests.append((draft, works))
    return digests
