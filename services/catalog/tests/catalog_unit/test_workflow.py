"""The workflow state machine and who may move an item."""

from __future__ import annotations

import pytest

from agora_catalog.domain.workflow import (
    TRANSITIONS,
    Action,
    Actor,
    ItemFacts,
    ItemStatus,
    check_actor,
    next_status,
    reviewers_of,
)
from agora_core.errors import FailedPrecondition, PermissionDenied
from agora_core.grpc.auth import Role

pytestmark = pytest.mark.unit

ITEM = ItemFacts(author_id="author", reviewer_id="rev")


def actor(subject: str, *roles: Role, reviews: bool = False) -> Actor:
    return Actor(subject, frozenset(roles), reviews)


@pytest.mark.parametrize(
    ("current", "action", "expected"),
    [
        (ItemStatus.DRAFT, Action.SUBMIT, ItemStatus.SUBMITTED),
        (ItemStatus.CHANGES_REQUESTED, Action.SUBMIT, ItemStatus.SUBMITTED),
        (ItemStatus.DRAFT, Action.PUBLISH_INFORMALLY, ItemStatus.PUBLISHED),
        (ItemStatus.SUBMITTED, Action.CLAIM, ItemStatus.IN_REVIEW),
        (ItemStatus.IN_REVIEW, Action.APPROVE, ItemStatus.PUBLISHED),
        (ItemStatus.IN_REVIEW, Action.REQUEST_CHANGES, ItemStatus.CHANGES_REQUESTED),
        (ItemStatus.IN_REVIEW, Action.REJECT, ItemStatus.REJECTED),
        (ItemStatus.PUBLISHED, Action.ARCHIVE, ItemStatus.ARCHIVED),
        (ItemStatus.DRAFT, Action.EDIT, ItemStatus.DRAFT),
    ],
)
def test_legal_transitions(current: ItemStatus, action: Action, expected: ItemStatus) -> None:
    assert next_status(current, action) is expected


def test_every_other_transition_is_refused_naming_the_state() -> None:
    refused = 0
    for action, (sources, _) in TRANSITIONS.items():
        for status in set(ItemStatus) - sources:
            with pytest.raises(FailedPrecondition) as caught:
                next_status(status, action)
            assert caught.value.current_state == status.value
            assert status.value in caught.value.message
            refused += 1
    assert refused > 30


def test_author_only_actions() -> None:
    for action in (Action.EDIT, Action.SUBMIT, Action.PUBLISH_INFORMALLY):
        check_actor(action, actor("author", Role.CONTRIBUTOR), ITEM)
        with pytest.raises(PermissionDenied):
            check_actor(action, actor("someone", Role.ADMIN), ITEM)


def test_reviewers_need_the_role_and_the_skill_and_not_their_own_item() -> None:
    check_actor(Action.CLAIM, actor("x", Role.EXPERT, reviews=True), ITEM)
    check_actor(Action.CLAIM, actor("x", Role.ADMIN), ITEM)
    for refused in (
        actor("x", Role.EXPERT),  # not an expert of the item's skills
        actor("x", Role.CONTRIBUTOR, reviews=True),  # listed, but without the role
        actor("author", Role.EXPERT, reviews=True),  # own item
    ):
        with pytest.raises(PermissionDenied):
            check_actor(Action.CLAIM, refused, ITEM)


def test_only_the_claiming_reviewer_decides_and_archive_rights() -> None:
    check_actor(Action.APPROVE, actor("rev", Role.EXPERT), ITEM)
    with pytest.raises(PermissionDenied):
        check_actor(Action.REJECT, actor("other", Role.ADMIN), ITEM)
    check_actor(Action.ARCHIVE, actor("author", Role.CONTRIBUTOR), ITEM)
    check_actor(Action.ARCHIVE, actor("boss", Role.ADMIN), ITEM)
    with pytest.raises(PermissionDenied):
        check_actor(Action.ARCHIVE, actor("rev", Role.EXPERT), ITEM)


def test_reviewers_of_skills_in_order_without_repeats() -> None:
    experts = {"sql": ["a", "b"], "git": ["b", "c"]}
    assert reviewers_of(["git", "sql", "none"], experts) == ["b", "c", "a"]
