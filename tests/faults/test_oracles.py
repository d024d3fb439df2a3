"""The fault suite's oracles, tested: each ``differences()`` must see a lost effect, a
doubled one and a changed one, or the scenarios that rely on it could pass while the
service loses or doubles work. Pure: doctored states, no service, no I/O."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from . import audit, learning_audit, notifications_rig
from .audit import GamificationState, LearnerState
from .learning_audit import LearningState
from .notifications_rig import NotificationsState

pytestmark = pytest.mark.unit


def _learner(points: int) -> LearnerState:
    return LearnerState(
        points=points,
        level=1,
        level_name="Newcomer",
        streak_longest=1,
        streak_last_day="2026-12-01",
        badges=(("first-steps", True),),
    )


CLEAN_GAMIFICATION = GamificationState(
    entries=(("ada", "completion", 10, 0), ("ada", "like-received", 2, 3), ("bob", "quiz", 5, 1)),
    learners={"ada": _learner(12), "bob": _learner(5)},
)


def test_gamification_identical_runs_have_no_difference() -> None:
    assert audit.differences(CLEAN_GAMIFICATION, CLEAN_GAMIFICATION) == []


def test_gamification_sees_a_lost_ledger_entry() -> None:
    lost = replace(
        CLEAN_GAMIFICATION,
        entries=CLEAN_GAMIFICATION.entries[:2],
        learners={**CLEAN_GAMIFICATION.learners, "bob": _learner(0)},
    )

    diff = audit.differences(CLEAN_GAMIFICATION, lost)

    assert "missing ledger entry ('bob', 'quiz', 5, 1) x1" in diff
    assert any(line.startswith("bob: expected") for line in diff)


def test_gamification_sees_a_doubled_ledger_entry_even_with_the_right_balance() -> None:
    # A double credit the profile did not show (e.g. balance read before the second
    # write): the ledger alone must give it away.
    doubled = replace(
        CLEAN_GAMIFICATION, entries=(*CLEAN_GAMIFICATION.entries, ("bob", "quiz", 5, 1))
    )

    assert audit.differences(CLEAN_GAMIFICATION, doubled) == [
        "extra ledger entry ('bob', 'quiz', 5, 1) x1"
    ]


def test_gamification_sees_a_profile_that_differs() -> None:
    other_level = replace(_learner(12), level=2)
    changed = replace(
        CLEAN_GAMIFICATION, learners={**CLEAN_GAMIFICATION.learners, "ada": other_level}
    )

    assert len(audit.differences(CLEAN_GAMIFICATION, changed)) == 1


CLEAN_LEARNING = LearningState(
    catalog_counters=((3, 1), (0, 2)),
    ranking=(5, 4),
    completed=(("ada", (0, 1), ((0, 1), 2, True)),),
    popularity=((3, 1, 2), (0, 2, 1)),
    experts=(("python", (("ada", 4.5, 1, 0, 2, 1),)),),
    published=(
        ("org.agora.learning.knowledge.completed.v1", "ada", 0),
        ("org.agora.learning.path.completed.v1", "ada", -1),
    ),
)


def test_learning_identical_runs_have_no_difference() -> None:
    assert learning_audit.differences(CLEAN_LEARNING, CLEAN_LEARNING) == []


@pytest.mark.parametrize(
    ("what", "doctored"),
    [
        ("a lost like in the catalog", {"catalog_counters": ((2, 1), (0, 2))}),
        ("a doubled comment in community", {"popularity": ((3, 2, 2), (0, 2, 1))}),
        ("a lost completion", {"completed": (("ada", (0,), ((0,), 1, False)),)}),
        ("a changed expert score", {"experts": (("python", (("ada", 9.0, 1, 0, 2, 1),)),)}),
        (
            "an event published twice",
            {"published": (*CLEAN_LEARNING.published, CLEAN_LEARNING.published[0])},
        ),
        ("a lost publication", {"published": CLEAN_LEARNING.published[:1]}),
    ],
)
def test_learning_sees(what: str, doctored: dict[str, object]) -> None:
    actual = replace(CLEAN_LEARNING, **doctored)  # type: ignore[arg-type]

    assert learning_audit.differences(CLEAN_LEARNING, actual), what


CLEAN_NOTIFICATIONS = NotificationsState(
    inbox=Counter({("ada", "assignment", "s", "t", "b"): 1, ("bob", "badge", "s", "t", "b"): 1}),
    emails=Counter({("ada", "You have a new assignment", 0): 1}),
    webhooks=Counter({0: 1, 1: 1, 2: 1}),
    deliveries=(),
)


def test_notifications_identical_runs_have_no_difference() -> None:
    assert notifications_rig.differences(CLEAN_NOTIFICATIONS, CLEAN_NOTIFICATIONS) == []


def test_notifications_sees_a_lost_inbox_entry_a_doubled_email_and_a_lost_webhook() -> None:
    actual = replace(
        CLEAN_NOTIFICATIONS,
        inbox=Counter({("ada", "assignment", "s", "t", "b"): 1}),
        emails=Counter({("ada", "You have a new assignment", 0): 2}),
        webhooks=Counter({0: 1, 2: 1}),
    )

    assert sorted(notifications_rig.differences(CLEAN_NOTIFICATIONS, actual)) == [
        "extra email ('ada', 'You have a new assignment', 0) x1",
        "missing inbox entry ('bob', 'badge', 's', 't', 'b') x1",
        "missing webhook of event 1 x1",
    ]
