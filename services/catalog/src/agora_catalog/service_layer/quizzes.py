"""Use case of quizzes: grading an attempt on the server.

The attempt, its ``quiz.passed``/``quiz.failed`` event and (when passed) the quiz's
completion are one transaction. Attempts are numbered per learner and quiz; the
number is part of the key, so the attempt limit holds under concurrent submissions
(a clash on the key counts again and takes the next number).
"""

from __future__ import annotations

from typing import Any, Final

from agora_catalog.domain.inputs import AttemptIn
from agora_catalog.domain.model import QuizAttempt
from agora_catalog.domain.quiz import QuestionKey, attempts_left, grade
from agora_catalog.service_layer.access import published_item
from agora_catalog.service_layer.events import EventFactory, skill_levels, utc_now
from agora_catalog.service_layer.ports import UnitOfWorkFactory
from agora_catalog.service_layer.progress import complete_in
from agora_contracts.events.domains.learning import QuizFailedV1, QuizPassedV1
from agora_core.errors import FailedPrecondition, InvalidArgument
from agora_core.identity import Principal

_RETRIES: Final = 5


class Quizzes:
    """Graded quiz attempts."""

    def __init__(self, uow: UnitOfWorkFactory, events: EventFactory) -> None:
        self._uow = uow
        self._events = events

    async def submit_attempt(self, principal: Principal, attempt: AttemptIn) -> QuizAttempt:
        """Grade on the server; the attempt and its passed/failed event are one write."""
        learner = principal.subject
        async with self._uow(principal.tenant_id) as uow:
            item = await published_item(uow, attempt.item_id)
            if item.fields.type != "quiz" or item.fields.answer_key is None:
                raise FailedPrecondition(
                    f"item {attempt.item_id} is a {item.fields.type}, not a quiz",
                    current_state=item.status,
                )
            quiz = item.fields.content
            answer_key = item.fields.answer_key
            key = [QuestionKey(q, frozenset(c)) for q, c in answer_key.items()]
            answers: dict[str, frozenset[str]] = {}
            for index, answer in enumerate(attempt.answers):
                if answer.question_id not in answer_key:
                    raise InvalidArgument.single(f"answers.{index}.question_id", "unknown question")
                answers[answer.question_id] = frozenset(answer.choice_ids)
            graded = grade(key, answers, quiz["pass_mark_percent"])
            recorded = None
            for _ in range(_RETRIES):
                number = await uow.quizzes.count(learner, item.item_id) + 1
                max_attempts = int(quiz["max_attempts"])
                if max_attempts and number > max_attempts:
                    raise FailedPrecondition(
                        f"no attempts left ({max_attempts} used)",
                        current_state="attempts_exhausted",
                    )
                left = attempts_left(max_attempts, number)
                now = utc_now()
                attempt_id = f"{uow.tenant_id}:{learner}:{item.item_id}:{number}"
                recorded = QuizAttempt(
                    attempt_id=attempt_id,
                    learner_id=learner,
                    item_id=item.item_id,
                    number=number,
                    score_percent=graded.score_percent,
                    passed=graded.passed,
                    results=graded.results,
                    skill_ids=item.fields.skill_ids,
                    graded_at=now,
                    attempts_left=-1 if left is None else left,
                )
                if await uow.quizzes.add(recorded):
                    break
                recorded = None  # a concurrent attempt took this number: count again
            if recorded is None:
                raise FailedPrecondition("too many concurrent attempts", current_state="busy")
            common: dict[str, Any] = {
                "learner_id": learner,
                "item_id": item.item_id,
                "attempt_id": attempt_id,
                "attempt_number": number,
                "score_percent": graded.score_percent,
                "pass_mark_percent": quiz["pass_mark_percent"],
                "skills": skill_levels(item.fields.skills),
                "graded_at": now,
            }
            payload = (
                QuizPassedV1(**common)
                if graded.passed
                else QuizFailedV1(**common, attempts_left=left)
            )
            uow.add_events(
                [
                    self._events.create(
                        payload,
                        subject=item.item_id,
                        tenant_id=uow.tenant_id,
                        actor_id=learner,
                        key=learner,
                    )
                ]
            )
            if graded.passed:
                await complete_in(uow, self._events, learner, item)
            return recorded
