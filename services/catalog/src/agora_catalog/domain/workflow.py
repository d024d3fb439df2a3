"""The contribution workflow: which transition is legal from which state, and for whom.

Every status change of an item goes through :func:`next_status` (is the move legal
from the current state?) and :func:`check_actor` (may this caller make it?). Stores
then apply the change with a conditional write on the state that was checked, so a
concurrent transition cannot slip in between.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from agora_core.errors import FailedPrecondition, PermissionDenied
from agora_core.grpc.auth import Role


class ItemStatus(enum.StrEnum):
    """Where an item is in the contribution workflow."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    PUBLISHED = "published"
    REJECTED = "rejected"
    ARCHIVED = "archived"


class Action(enum.StrEnum):
    """What someone does to an item."""

    EDIT = "edit"
    SUBMIT = "submit"
    PUBLISH_INFORMALLY = "publish_informally"
    CLAIM = "claim"
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    ARCHIVE = "archive"


_EDITABLE: Final = frozenset({ItemStatus.DRAFT, ItemStatus.CHANGES_REQUESTED})

TRANSITIONS: Final[dict[Action, tuple[frozenset[ItemStatus], ItemStatus | None]]] = {
    # None: the status stays what it was (an edit does not move the item).
    Action.EDIT: (_EDITABLE, None),
    Action.SUBMIT: (_EDITABLE, ItemStatus.SUBMITTED),
    Action.PUBLISH_INFORMALLY: (_EDITABLE, ItemStatus.PUBLISHED),
    Action.CLAIM: (frozenset({ItemStatus.SUBMITTED}), ItemStatus.IN_REVIEW),
    Action.APPROVE: (frozenset({ItemStatus.IN_REVIEW}), ItemStatus.PUBLISHED),
    Action.REQUEST_CHANGES: (frozenset({ItemStatus.IN_REVIEW}), ItemStatus.CHANGES_REQUESTED),
    Action.REJECT: (frozenset({ItemStatus.IN_REVIEW}), ItemStatus.REJECTED),
    Action.ARCHIVE: (frozenset({ItemStatus.PUBLISHED}), ItemStatus.ARCHIVED),
}

REVIEW_DECISIONS: Final = frozenset({Action.APPROVE, Action.REQUEST_CHANGES, Action.REJECT})


def next_status(current: ItemStatus, action: Action) -> ItemStatus:
    """The status after ``action``; FailedPrecondition naming ``current`` if illegal."""
    allowed_from, target = TRANSITIONS[action]
    if current not in allowed_from:
        raise FailedPrecondition(
            f"cannot {action.value.replace('_', ' ')} an item in state {current.value}",
            current_state=current.value,
        )
    return current if target is None else target


@dataclass(frozen=True)
class Actor:
    """The caller as the workflow sees them."""

    subject: str
    roles: frozenset[Role]
    reviews_item_skills: bool
    """True when the caller is an expert or trainer of one of the item's skills."""

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles


@dataclass(frozen=True)
class ItemFacts:
    """What the rules need to know about the item."""

    author_id: str
    reviewer_id: str | None


def may_review(actor: Actor, item: ItemFacts) -> bool:
    """Admins review anything; an expert reviews items of skills they are expert/trainer
    of, never their own."""
    if actor.is_admin:
        return True
    return (
        Role.EXPERT in actor.roles and actor.reviews_item_skills and actor.subject != item.author_id
    )


def check_actor(action: Action, actor: Actor, item: ItemFacts) -> None:
    """PermissionDenied unless ``actor`` may perform ``action`` on ``item``."""
    if action in (Action.EDIT, Action.SUBMIT, Action.PUBLISH_INFORMALLY):
        if actor.subject != item.author_id:
            raise PermissionDenied(f"only the author may {action.value.replace('_', ' ')}")
    elif action is Action.CLAIM:
        if not may_review(actor, item):
            raise PermissionDenied(
                "only an expert or trainer of one of the item's skills may review it"
            )
    elif action in REVIEW_DECISIONS:
        if actor.subject != item.reviewer_id:
            raise PermissionDenied("only the reviewer who claimed the submission may decide")
    elif action is Action.ARCHIVE and not (actor.is_admin or actor.subject == item.author_id):
        raise PermissionDenied("only the author or an admin may archive")


def reviewers_of(skill_ids: Iterable[str], experts_by_skill: dict[str, list[str]]) -> list[str]:
    """Experts and trainers of any of ``skill_ids``, in a stable order without repeats."""
    seen: dict[str, None] = {}
    for skill_id in skill_ids:
        for person in experts_by_skill.get(skill_id, []):
            seen.setdefault(person, None)
    return list(seen)
