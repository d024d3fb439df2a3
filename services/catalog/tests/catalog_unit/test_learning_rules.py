"""Quiz grading, path completion and assignment state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from agora_catalog.domain.inputs import ItemCommand, PathIn, ReviewIn
from agora_catalog.domain.learning import AssignmentState, Step, assignment_state, path_complete
from agora_catalog.domain.quiz import QuestionKey, attempts_left, grade

pytestmark = pytest.mark.unit

KEY = [QuestionKey("q1", frozenset({"b"})), QuestionKey("q2", frozenset({"a", "b"}))]


def test_grading_is_all_or_nothing_per_question() -> None:
    result = grade(KEY, {"q1": frozenset({"b"}), "q2": frozenset({"a"})}, 50)
    assert result.score_percent == 50.0
    assert result.passed
    assert result.results == (("q1", True), ("q2", False))
    assert not grade(KEY, {}, 50).passed
    assert grade(KEY, {"q1": frozenset({"b"}), "q2": frozenset({"b", "a"})}, 100).passed


def test_attempts_left() -> None:
    assert attempts_left(0, 7) is None
    assert attempts_left(3, 1) == 2
    assert attempts_left(3, 5) == 0


def test_path_completes_on_mandatory_steps_only() -> None:
    steps = [Step("a", True), Step("b", False), Step("c", True)]
    assert not path_complete(steps, {"a", "b"})
    assert path_complete(steps, {"a", "c"})
    assert not path_complete([Step("x", False)], {"x"})


def test_assignment_state_and_overdue() -> None:
    now = datetime.now(UTC)
    past, future = now - timedelta(days=1), now + timedelta(days=1)
    assert assignment_state(started=False, completed=False, due_at=past, now=now) == (
        AssignmentState.NOT_STARTED,
        True,
    )
    assert assignment_state(started=True, completed=False, due_at=future, now=now) == (
        AssignmentState.IN_PROGRESS,
        False,
    )
    assert assignment_state(started=True, completed=True, due_at=past, now=now) == (
        AssignmentState.COMPLETED,
        False,
    )


def _fields(error: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in error.value.errors()}


def test_input_limits_name_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        ItemCommand.model_validate(
            {"item": {"title": "", "language": "en", "wiki": {"markdown": "x"}}}
        )
    assert _fields(caught) == {"item.title"}
    with pytest.raises(ValidationError) as caught:
        PathIn.model_validate({"title": "p", "steps": [{"item_id": "a", "mandatory": False}]})
    assert _fields(caught) == {"steps"}
    with pytest.raises(ValidationError):
        ReviewIn.model_validate({"item_id": "i", "decision": "rejected"})
    assert ReviewIn.model_validate({"item_id": "i", "decision": "approved"}).comment == ""
