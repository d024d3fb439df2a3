"""Pure rules: mentions, trending decay, popularity arithmetic, expert weights."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agora_community.domain.model import Question, QuestionStatus, derived_id
from agora_community.domain.rules import (
    COMMENT_WEIGHT,
    EXPERT_WEIGHTS,
    LIKE_WEIGHT,
    PopularityState,
    apply_engagement,
    decayed,
    mentioned_ids,
)

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thanks @u-ada and @linus.torvalds!", ["u-ada", "linus.torvalds"]),
        ("@u-ada @u-ada @u-bob", ["u-ada", "u-bob"]),
        ("write to ada@example.com", []),
        ("see https://x.org/@someone", []),
        ("end of sentence @u-ada.", ["u-ada"]),
        ("@@double", []),
        ("(@u-ada)", ["u-ada"]),
        ("me: @u-author", []),
    ],
)
def test_mentions_are_at_user_id_tokens(text: str, expected: list[str]) -> None:
    assert mentioned_ids(text, author_id="u-author") == expected


def test_scores_halve_every_half_life() -> None:
    assert decayed(8.0, T0, T0 + timedelta(hours=24), 24) == pytest.approx(4.0)
    assert decayed(8.0, T0, T0 + timedelta(hours=48), 24) == pytest.approx(2.0)
    assert decayed(8.0, T0, T0, 24) == 8.0


def test_engagements_add_up_and_counts_never_go_negative() -> None:
    state = PopularityState()
    state = apply_engagement(
        state, likes=1, new_participant=True, weight=LIKE_WEIGHT, at=T0, half_life_hours=24
    )
    state = apply_engagement(
        state,
        comments=1,
        new_participant=False,
        weight=COMMENT_WEIGHT,
        at=T0 + timedelta(hours=24),
        half_life_hours=24,
    )
    assert (state.likes, state.comments, state.participants) == (1, 1, 1)
    assert state.trending_score == pytest.approx(0.5 + 2.0)
    assert state.trending_at == T0 + timedelta(hours=24)
    state = apply_engagement(
        state, likes=-5, weight=-10, at=T0 + timedelta(hours=24), half_life_hours=24
    )
    assert state.likes == 0
    assert state.trending_score == 0.0


def test_the_score_does_not_depend_on_the_order_events_arrive_in() -> None:
    engagements = [(T0, 1.0), (T0 + timedelta(hours=5), 2.0), (T0 + timedelta(hours=30), 1.0)]

    def replay(order: list[tuple[datetime, float]]) -> float:
        state = PopularityState()
        for at, weight in order:
            state = apply_engagement(state, weight=weight, at=at, half_life_hours=24)
        return decayed(state.trending_score, state.trending_at or T0, T0 + timedelta(hours=40), 24)

    in_order = replay(engagements)
    assert replay(list(reversed(engagements))) == pytest.approx(in_order)
    assert replay([engagements[1], engagements[0], engagements[2]]) == pytest.approx(in_order)


def test_expert_weights_rank_validated_work_first_and_failures_not_at_all() -> None:
    assert EXPERT_WEIGHTS["validated_contributions"] > EXPERT_WEIGHTS["accepted_answers"]
    assert EXPERT_WEIGHTS["accepted_answers"] > EXPERT_WEIGHTS["quiz_passes"]
    assert EXPERT_WEIGHTS["quiz_passes"] > EXPERT_WEIGHTS["completions"] > 0
    assert EXPERT_WEIGHTS["quiz_failures"] == 0


def test_derived_ids_are_stable_per_natural_key() -> None:
    assert derived_id("t", "knowledge", "k-1", "u") == derived_id("t", "knowledge", "k-1", "u")
    assert derived_id("t", "knowledge", "k-1", "u") != derived_id("t2", "knowledge", "k-1", "u")
    # Parts are separated, so shifting characters between them changes the id.
    assert derived_id("ab", "c") != derived_id("a", "bc")


def test_the_trending_rank_orders_as_the_scores_decayed_to_any_common_time() -> None:
    from agora_community.domain.rules import trending_rank

    # An old big score against a fresh small one: which is ahead depends on the time
    # between them, and the rank must agree with the decayed scores.
    old = (8.0, T0)
    fresh = (2.0, T0 + timedelta(hours=36))
    later = T0 + timedelta(hours=100)
    ranks = [trending_rank(score, at, 24) for score, at in (old, fresh)]
    now_scores = [decayed(score, at, later, 24) for score, at in (old, fresh)]
    assert ranks[0] is not None
    assert ranks[1] is not None
    assert (ranks[0] > ranks[1]) == (now_scores[0] > now_scores[1])
    assert ranks[0] > ranks[1]  # 8 halved 1.5 times is still above 2
    assert trending_rank(0.0, T0, 24) is None


@pytest.mark.parametrize(
    ("answers", "accepted", "hidden", "status"),
    [
        (0, None, False, QuestionStatus.OPEN),
        (2, None, False, QuestionStatus.ANSWERED),
        (2, "a-1", False, QuestionStatus.RESOLVED),
        (2, "a-1", True, QuestionStatus.HIDDEN),
    ],
)
def test_a_question_stands_open_answered_resolved_or_hidden(
    answers: int, accepted: str | None, hidden: bool, status: QuestionStatus
) -> None:
    question = Question(
        question_id="q-1",
        asker_id="u-ada",
        title="Rebase?",
        body="",
        skill_ids=("git",),
        space_id=None,
        item_id=None,
        proposed_expert_ids=(),
        create_time=datetime(2026, 12, 1, tzinfo=UTC),
        answer_count=answers,
        accepted_answer_id=accepted,
        hidden=hidden,
    )
    assert question.status is status
