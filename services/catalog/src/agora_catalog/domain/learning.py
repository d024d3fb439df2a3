"""Derived learning state: path completion and assignment status."""

from __future__ import annotations

import enum
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Step:
    """One step of a path."""

    item_id: str
    mandatory: bool


def mandatory_items(steps: Sequence[Step]) -> list[str]:
    return [step.item_id for step in steps if step.mandatory]


def path_complete(steps: Sequence[Step], completed_item_ids: Collection[str]) -> bool:
    """A path is complete once every mandatory step is (paths have at least one)."""
    mandatory = mandatory_items(steps)
    return bool(mandatory) and all(item in completed_item_ids for item in mandatory)


class AssignmentState(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


def assignment_state(
    *, started: bool, completed: bool, due_at: datetime | None, now: datetime
) -> tuple[AssignmentState, bool]:
    """The state of an assignment and whether it is overdue (due date passed, not done)."""
    if completed:
        return AssignmentState.COMPLETED, False
    state = AssignmentState.IN_PROGRESS if started else AssignmentState.NOT_STARTED
    return state, due_at is not None and due_at < now
