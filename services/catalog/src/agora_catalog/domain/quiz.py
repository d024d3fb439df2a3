"""Quiz grading on the server: the answer key never leaves the service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class QuestionKey:
    """A question and the exact set of choices that makes an answer correct."""

    question_id: str
    correct: frozenset[str]


@dataclass(frozen=True)
class Grade:
    """Result of grading one attempt."""

    score_percent: float
    passed: bool
    results: tuple[tuple[str, bool], ...]
    """(question id, answered correctly) in question order."""


def grade(
    key: Sequence[QuestionKey], answers: Mapping[str, frozenset[str]], pass_mark_percent: float
) -> Grade:
    """All-or-nothing per question (the chosen set must equal the correct set)."""
    results = tuple((q.question_id, answers.get(q.question_id) == q.correct) for q in key)
    right = sum(1 for _, ok in results if ok)
    score = round(100.0 * right / len(key), 2) if key else 0.0
    return Grade(score_percent=score, passed=score >= pass_mark_percent, results=results)


def attempts_left(max_attempts: int, used: int) -> int | None:
    """Attempts still allowed; None when unlimited (``max_attempts`` 0)."""
    if max_attempts == 0:
        return None
    return max(max_attempts - used, 0)
