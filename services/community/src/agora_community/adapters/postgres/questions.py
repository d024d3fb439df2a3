"""Questions (with their skills), answers and answer votes."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from agora_community.adapters.postgres.tenant_scoped import Row, TenantScoped
from agora_community.domain.model import Answer, Question

_QUESTION: Final = (
    "q.question_id, q.asker_id, q.title, q.body, q.skill_ids, q.space_id, q.item_id,"
    " q.proposed_expert_ids, q.create_time, q.answer_count, q.accepted_answer_id, q.hidden"
)
_ANSWER: Final = "answer_id, question_id, space_id, author_id, body, create_time, upvotes, hidden"


def _question(row: Row) -> Question:
    return Question(
        question_id=row[0],
        asker_id=row[1],
        title=row[2],
        body=row[3],
        skill_ids=tuple(row[4]),
        space_id=row[5],
        item_id=row[6],
        proposed_expert_ids=tuple(row[7]),
        create_time=row[8],
        answer_count=row[9],
        accepted_answer_id=row[10],
        hidden=row[11],
    )


def _answer(row: Row) -> Answer:
    return Answer(*row)


def unanswered_sql(*, skill: bool, space: bool, keyset: bool) -> str:
    """Unanswered visible questions, oldest first (params: tenant, [skill], [space],
    [time, id], limit): index ``questions_unanswered`` (``_in_space``); by skill,
    ``question_skills_by_time`` in order, each question then checked by its key."""
    if skill:
        source = (
            "question_skills s JOIN questions q ON q.tenant_id = s.tenant_id"
            " AND q.question_id = s.question_id"
        )
        where, order = "s.tenant_id = %s AND s.skill_id = %s", "s.create_time, s.question_id"
    else:
        source, where, order = "questions q", "q.tenant_id = %s", "q.create_time, q.question_id"
    where += " AND q.answer_count = 0 AND NOT q.hidden"
    if space:
        where += " AND q.space_id = %s"
    if keyset:
        where += f" AND ({order}) > (%s, %s)"
    return f"SELECT {_QUESTION} FROM {source} WHERE {where} ORDER BY {order} LIMIT %s"


def of_asker_sql(*, keyset: bool) -> str:
    """The asker's questions, newest first (params: tenant, asker, [time, id], limit):
    index ``questions_of_asker`` read backwards."""
    after = " AND (q.create_time, q.question_id) < (%s, %s)" if keyset else ""
    return (
        f"SELECT {_QUESTION} FROM questions q WHERE q.tenant_id = %s AND q.asker_id = %s{after}"
        " ORDER BY q.create_time DESC, q.question_id DESC LIMIT %s"
    )


class PostgresQuestionRepository(TenantScoped):
    async def add(self, question: Question) -> None:
        await self._run(
            "INSERT INTO questions (tenant_id, question_id, asker_id, title, body, skill_ids,"
            " space_id, item_id, proposed_expert_ids, create_time)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                self._tenant,
                question.question_id,
                question.asker_id,
                question.title,
                question.body,
                list(question.skill_ids),
                question.space_id,
                question.item_id,
                list(question.proposed_expert_ids),
                question.create_time,
            ),
        )
        await self._run(
            "INSERT INTO question_skills (tenant_id, skill_id, question_id, create_time)"
            " SELECT %s, s, %s, %s FROM unnest(%b::text[]) AS s ON CONFLICT DO NOTHING",
            (self._tenant, question.question_id, question.create_time, list(question.skill_ids)),
        )

    async def get(self, question_id: str) -> Question | None:
        row = await self._one(
            f"SELECT {_QUESTION} FROM questions q WHERE q.tenant_id = %s AND q.question_id = %s",
            (self._tenant, question_id),
        )
        return _question(row) if row else None

    async def count_answer(self, question_id: str) -> None:
        await self._run(
            "UPDATE questions SET answer_count = answer_count + 1"
            " WHERE tenant_id = %s AND question_id = %s",
            (self._tenant, question_id),
        )

    async def accept(self, question_id: str, answer_id: str, at: datetime) -> Question | None:
        row = await self._one(
            "UPDATE questions q SET accepted_answer_id = %s, accepted_at = %s"
            " WHERE q.tenant_id = %s AND q.question_id = %s AND q.accepted_answer_id IS NULL"
            f" RETURNING {_QUESTION}",
            (answer_id, at, self._tenant, question_id),
        )
        return _question(row) if row else None

    async def unanswered(
        self,
        *,
        skill_id: str | None,
        space_id: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[Question]:
        params: list[object] = [self._tenant]
        if skill_id:
            params.append(skill_id)
        if space_id:
            params.append(space_id)
        if after is not None:
            params.extend(after)
        sql = unanswered_sql(skill=bool(skill_id), space=bool(space_id), keyset=after is not None)
        rows = await self._all(sql, [*params, limit])
        return [_question(row) for row in rows]

    async def of_asker(
        self, asker_id: str, *, before: tuple[datetime, str] | None, limit: int
    ) -> list[Question]:
        params: list[object] = [self._tenant, asker_id, *(before or ()), limit]
        rows = await self._all(of_asker_sql(keyset=before is not None), params)
        return [_question(row) for row in rows]


class PostgresAnswerRepository(TenantScoped):
    async def add(self, answer: Answer) -> None:
        await self._run(
            "INSERT INTO answers (tenant_id, answer_id, question_id, space_id, author_id, body,"
            " create_time) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                self._tenant,
                answer.answer_id,
                answer.question_id,
                answer.space_id,
                answer.author_id,
                answer.body,
                answer.create_time,
            ),
        )

    async def get(self, answer_id: str) -> Answer | None:
        row = await self._one(
            f"SELECT {_ANSWER} FROM answers WHERE tenant_id = %s AND answer_id = %s",
            (self._tenant, answer_id),
        )
        return _answer(row) if row else None

    async def of_question(self, question_id: str, *, with_hidden: bool, limit: int) -> list[Answer]:
        visible = "" if with_hidden else " AND NOT hidden"
        rows = await self._all(
            f"SELECT {_ANSWER} FROM answers WHERE tenant_id = %s AND question_id = %s{visible}"
            " ORDER BY create_time, answer_id LIMIT %s",
            (self._tenant, question_id, limit),
        )
        return [_answer(row) for row in rows]

    async def upvote(self, answer_id: str, user_id: str, at: datetime) -> tuple[Answer, bool]:
        voted = await self._one(
            "INSERT INTO answer_votes (tenant_id, answer_id, user_id, voted_at)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
            (self._tenant, answer_id, user_id, at),
        )
        if voted is not None:
            row = await self._one(
                "UPDATE answers SET upvotes = upvotes + 1 WHERE tenant_id = %s AND answer_id = %s"
                f" RETURNING {_ANSWER}",
                (self._tenant, answer_id),
            )
        else:
            row = await self._one(
                f"SELECT {_ANSWER} FROM answers WHERE tenant_id = %s AND answer_id = %s",
                (self._tenant, answer_id),
            )
        assert row is not None
        return _answer(row), voted is not None
