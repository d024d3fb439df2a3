"""Streaks, streak-day points and daily caps do not depend on the order events arrive in.

A learner's activity comes on several topics and partitions; after an outage the
backlog is consumed in an order unrelated to the days it happened on. Whatever the
order, the profile must end with the same streak and the same points as in time order.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agora_gamification.domain.profile import (
    STREAK_WINDOW_DAYS,
    EventFacts,
    ProfileState,
    Streak,
    apply_event,
)
from agora_gamification.domain.rules import credits_for, default_rules
from agora_gamification.domain.settings import TenantSettings

pytestmark = pytest.mark.unit

COMPLETED = "org.agora.learning.knowledge.completed.v1"
QUIZ = "org.agora.learning.quiz.passed.v1"
MONDAY = dt.date(2026, 11, 2)


def in_time_order(days: list[dt.date], grace: int) -> Streak:
    streak = Streak()
    for day in sorted(days):
        streak = streak.after_activity(day, grace)
    return streak


@settings(max_examples=300, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=25),
    grace=st.integers(min_value=0, max_value=3),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_any_order_of_days_gives_the_time_order_streak(
    offsets: list[int], grace: int, seed: int
) -> None:
    days = [MONDAY + dt.timedelta(days=o) for o in offsets]
    shuffled = list(days)
    random.Random(seed).shuffle(shuffled)
    streak = Streak()
    for day in shuffled:
        streak = streak.after_activity(day, grace)
    expected = in_time_order(days, grace)
    assert (streak.current, streak.longest, streak.last_day, streak.days) == (
        expected.current,
        expected.longest,
        expected.last_day,
        expected.days,
    )


def test_chains_with_grace_and_breaks() -> None:
    day = MONDAY
    # active: 0, 1, 3 (one day missed, forgiven with grace 1), then 6 (two missed: break)
    streak = in_time_order([day, day + dt.timedelta(1), day + dt.timedelta(3)], 1)
    assert (streak.current, streak.longest) == (3, 3)
    streak = streak.after_activity(day + dt.timedelta(6), 1)
    assert (streak.current, streak.longest) == (1, 3)
    # a late event on day 5 bridges the gap: one chain of five active days
    streak = streak.after_activity(day + dt.timedelta(5), 1)
    assert (streak.current, streak.longest) == (5, 5)
    assert streak.chain_through(day + dt.timedelta(3), 1) == 3
    assert streak.chain_through(day + dt.timedelta(4), 1) == 0
    # without grace the same days are three chains
    strict = in_time_order(list(streak.days), 0)
    assert (strict.current, strict.longest) == (2, 2)


def test_a_long_streak_outlives_the_window() -> None:
    days = [MONDAY + dt.timedelta(days=n) for n in range(STREAK_WINDOW_DAYS + 40)]
    streak = in_time_order(days, 0)
    assert streak.current == streak.longest == len(days)
    assert len(streak.days) == STREAK_WINDOW_DAYS  # bounded, the rest is carried
    assert streak.carried == len(days) - STREAK_WINDOW_DAYS
    # activity older than the window is too late to change anything
    assert streak.after_activity(MONDAY, 0) is streak
    # a break after the window still counts the carried days in the longest
    later = streak.after_activity(days[-1] + dt.timedelta(days=5), 0)
    assert (later.current, later.longest) == (1, len(days))


def test_as_of_shows_a_broken_streak_as_zero() -> None:
    streak = in_time_order([MONDAY, MONDAY + dt.timedelta(1)], 1)
    assert streak.as_of(MONDAY + dt.timedelta(3), 1).current == 2
    shown = streak.as_of(MONDAY + dt.timedelta(4), 1)
    assert (shown.current, shown.longest, shown.last_day) == (0, 2, streak.last_day)


def _events(learner: str) -> list[EventFacts]:
    """Four days of completions and quiz passes, several a day (caps reached)."""
    out: list[EventFacts] = []
    for day in (0, 1, 3, 4):
        for n in range(25):
            at = dt.datetime.combine(MONDAY + dt.timedelta(days=day), dt.time(8, n), tzinfo=dt.UTC)
            if n % 2:
                payload: dict[str, Any] = {
                    "learner_id": learner,
                    "item_id": f"q{n}",
                    "attempt_id": f"a{day}-{n}",
                    "attempt_number": 1,
                    "score_percent": 90.0,
                    "pass_mark_percent": 70.0,
                }
                kind = QUIZ
            else:
                payload = {
                    "learner_id": learner,
                    "item_id": f"k{n}",
                    "item_type": "video",
                    "item_title": "SQL",
                    "author_id": "grace",
                }
                kind = COMPLETED
            out.append(EventFacts("acme", f"e{day}-{n}", kind, None, payload, at))
    return out


def _apply_all(events: list[EventFacts], tenant: TenantSettings) -> ProfileState:
    rules = default_rules()
    state = ProfileState("ada")
    for facts in events:
        credits = credits_for(rules, facts.event_type, facts.payload, facts.actor_id)
        change = apply_event(state, facts, credits=credits, rules=rules, badges=[], tenant=tenant)
        assert change is not None
        state = change.state
    return state


@pytest.mark.parametrize("seed", range(5))
def test_profile_points_and_streak_are_the_same_in_any_order(seed: int) -> None:
    tenant = TenantSettings(streak_grace_days=1)
    events = _events("ada")
    in_order = _apply_all(events, tenant)
    shuffled = list(events)
    random.Random(seed).shuffle(shuffled)
    out_of_order = _apply_all(shuffled, tenant)
    # 4 active days with one forgiven gap: one chain of 4, four streak days of 5 points
    assert (in_order.streak.current, in_order.streak.longest) == (4, 4)
    assert out_of_order.streak == in_order.streak
    assert out_of_order.points == in_order.points
    assert dict(out_of_order.periods) == dict(in_order.periods)
    assert dict(out_of_order.caps) == dict(in_order.caps)
    # completion 10 (cap 20/day: 13 a day here), quiz 15 (cap 10/day: 12 a day here)
    assert in_order.points == 4 * (13 * 10 + 10 * 15 + 5)
