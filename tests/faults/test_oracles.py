"""The fault suite's oracles, tested: each ``differences()`` must see a lost effect, a
doubled one and a changed one, or the scenarios that rely on it could pass while the
service loses or doubles work. Pure: doctored states, no service, no I/O."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import replace

import pytest

from agora_contracts.events.domains import gamification
from agora_core.messaging.events import OutgoingEvent

from . import audit, learning_audit, notifications_rig
from .audit import GamificationState, LearnerState
from .learning_audit import LearningState
from .notifications_rig import NotificationsState
from .publications import facts_of
from .stream import Stream, build_stream

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
    published=(
        (("badge", "ada", "first-steps", -1), 1),
        (("points", "ada", "completion:10", 0), 1),
        (("points", "ada", "like-received:2", 3), 1),
        (("points", "bob", "quiz:5", 1), 1),
    ),
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


def test_gamification_sees_an_event_republished_under_a_new_id() -> None:
    # Ledger and profiles intact, but the credit went out twice (a lost processed mark
    # re-running the effect's publication): consumers downstream would count it twice.
    published = list(CLEAN_GAMIFICATION.published)
    published[1] = (published[1][0], 2)
    republished = replace(CLEAN_GAMIFICATION, published=tuple(published))

    assert audit.differences(CLEAN_GAMIFICATION, republished) == [
        "published under 2 event ids: ('points', 'ada', 'completion:10', 0)"
    ]


def test_gamification_sees_a_lost_and_an_extra_publication() -> None:
    lost = replace(CLEAN_GAMIFICATION, published=CLEAN_GAMIFICATION.published[1:])
    extra_fact = (("badge", "bob", "first-steps", -1), 1)
    extra = replace(CLEAN_GAMIFICATION, published=(*CLEAN_GAMIFICATION.published, extra_fact))

    assert audit.differences(CLEAN_GAMIFICATION, lost) == [
        "missing publication ('badge', 'ada', 'first-steps', -1) x1"
    ]
    assert audit.differences(CLEAN_GAMIFICATION, extra) == [
        "extra publication ('badge', 'bob', 'first-steps', -1) x1"
    ]


def _points(stream: Stream, position: int, event_id: uuid.UUID) -> tuple[dict[str, str], bytes]:
    source = stream.events[position]
    event = OutgoingEvent.create(
        gamification.PointsAwardedV1(
            learner_id="u-ada",
            points=10,
            balance=10,
            rule_id="completion",
            source_event_id=source.event_id,
            source_event_type=source.headers["ce_type"],
            awarded_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
        ),
        source="/agora/gamification",
        subject="u-ada",
        tenant_id=stream.tenant,
        event_id=event_id,
    )
    return dict(event.headers), event.value


def test_publications_count_the_ids_of_each_fact_not_its_copies() -> None:
    stream = build_stream("t-oracle")
    first, second = uuid.uuid4(), uuid.uuid4()
    other_tenant = build_stream("t-other")
    records = [
        _points(stream, 0, first),
        _points(stream, 0, first),  # the relay sent the same record twice: one id
        _points(stream, 2, first),
        _points(stream, 2, second),  # the same credit under a second id
        _points(other_tenant, 0, second),  # not this tenant's
    ]

    assert facts_of(records, stream) == (
        (("points", "u-ada", "completion:10", 0), 1),
        (("points", "u-ada", "completion:10", 2), 2),
    )


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
