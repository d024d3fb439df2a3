"""Pure rules: mentions, trending decay, expert scoring, popularity arithmetic."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final

MENTION: Final = re.compile(r"(?<![\w@/.])@([A-Za-z0-9][A-Za-z0-9_.\-]{0,127})")
"""``@user-id``: an ``@`` not glued to a word (so ``ada@example.com`` is no mention),
then the person's id (letters, digits, ``_``, ``.``, ``-``; a trailing dot ends a
sentence, not the id)."""


def mentioned_ids(markdown: str, *, author_id: str) -> list[str]:
    """People mentioned in ``markdown``, in order of first mention, without the author."""
    found: list[str] = []
    for match in MENTION.finditer(markdown):
        person = match.group(1).rstrip(".")
        if person and person != author_id and person not in found:
            found.append(person)
    return found


# Trending: every engagement adds its weight, which then halves every half-life.
LIKE_WEIGHT: Final = 1.0
COMMENT_WEIGHT: Final = 2.0


def decayed(score: float, from_time: datetime, to_time: datetime, half_life_hours: float) -> float:
    """``score`` measured at ``from_time``, seen at ``to_time`` (older → smaller)."""
    hours = (to_time - from_time).total_seconds() / 3600
    return score * math.pow(2.0, -hours / half_life_hours)


@dataclass(frozen=True)
class PopularityState:
    """Indicators of one target; ``trending_score`` is valid at ``trending_at``."""

    likes: int = 0
    comments: int = 0
    participants: int = 0
    trending_score: float = 0.0
    trending_at: datetime | None = None


def apply_engagement(
    state: PopularityState,
    *,
    likes: int = 0,
    comments: int = 0,
    new_participant: bool = False,
    weight: float,
    at: datetime,
    half_life_hours: float,
) -> PopularityState:
    """The indicators after one engagement at ``at`` (order-independent for the score).

    The score is kept as its value at the latest engagement time; an engagement older
    than that is added already decayed, so events replayed out of order give the same
    score. Counts and the score never go below zero.
    """
    reference = state.trending_at
    if reference is None or at >= reference:
        base = (
            decayed(state.trending_score, reference, at, half_life_hours)
            if reference is not None
            else 0.0
        )
        score, score_at = base + weight, at
    else:
        score = state.trending_score + decayed(weight, at, reference, half_life_hours)
        score_at = reference
    return replace(
        state,
        likes=max(0, state.likes + likes),
        comments=max(0, state.comments + comments),
        participants=state.participants + (1 if new_participant else 0),
        trending_score=max(0.0, score),
        trending_at=score_at,
    )


# Expert directory: per person and skill, a weighted sum of what shows expertise.
EXPERT_WEIGHTS: Final = {
    "validated_contributions": 5.0,
    "accepted_answers": 3.0,
    "quiz_passes": 2.0,
    "completions": 1.0,
    "quiz_failures": 0.0,
}
"""Points per piece of evidence; each piece counts once (per item, quiz or answer).
Failed quizzes are recorded but weigh nothing: a failure is no evidence either way."""


EPOCH: Final = datetime(2026, 1, 1, tzinfo=UTC)


def trending_rank(score: float, at: datetime | None, half_life_hours: float) -> float | None:
    """A time-independent sort key of a decaying score: ``log2(score)`` plus the
    half-lives elapsed between a fixed epoch and ``at``.

    Every score decays at the same rate, so ordering by this key is ordering by the
    score decayed to any common instant: an index on it answers "trending now" with
    no recomputation. None when there is nothing to rank (a zero score).
    """
    if score <= 0 or at is None:
        return None
    return math.log2(score) + (at - EPOCH).total_seconds() / 3600 / half_life_hours
