"""Quiz attempts and the skills report's counts on PostgreSQL."""

from __future__ import annotations

from typing import Any, Final

from psycopg import AsyncConnection

from agora_catalog.adapters.postgres.rows import execute, fetch_all, fetch_one
from agora_catalog.domain.model import QuizAttempt

SKILLS_REPORT: Final = """
WITH asked AS (SELECT unnest(%(skills)b::text[]) AS skill_id),
done AS (
    SELECT skill_id, count(DISTINCT learner_id) AS learners, count(*) AS completions
    FROM progress, unnest(skill_ids) AS skill_id
    WHERE tenant_id = %(t)s AND completed AND skill_id = ANY(%(skills)b::text[])
    GROUP BY skill_id
),
taken AS (
    SELECT skill_id, count(*) AS attempts, count(*) FILTER (WHERE passed) AS passed
    FROM quiz_attempts, unnest(skill_ids) AS skill_id
    WHERE tenant_id = %(t)s AND skill_id = ANY(%(skills)b::text[])
    GROUP BY skill_id
)
SELECT asked.skill_id, coalesce(learners, 0) AS learners,
    coalesce(completions, 0) AS completions, coalesce(attempts, 0) AS attempts,
    coalesce(passed, 0) AS passed
FROM asked LEFT JOIN done USING (skill_id) LEFT JOIN taken USING (skill_id)
"""
"""Per skill asked: distinct learners with a completion, completions, attempts, passes."""


class PostgresQuizAttemptRepository:
    """One tenant's quiz attempts (numbered per learner and quiz)."""

    def __init__(self, connection: AsyncConnection[Any], tenant_id: str) -> None:
        self._c = connection
        self._tenant = tenant_id

    async def count(self, learner_id: str, item_id: str) -> int:
        row = await fetch_one(
            self._c,
            "SELECT count(*) AS n FROM quiz_attempts "
            "WHERE tenant_id = %s AND learner_id = %s AND item_id = %s",
            (self._tenant, learner_id, item_id),
        )
        return int(row["n"]) if row is not None else 0

    async def add(self, attempt: QuizAttempt) -> bool:
        """Insert; False if another attempt took this number first."""
        a = attempt
        return bool(
            await execute(
                self._c,
                "INSERT INTO quiz_attempts (tenant_id, learner_id, item_id, number, "
                "score_percent, passed, question_ids, question_correct, skill_ids, graded_at, "
                "attempts_left) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                (
                    self._tenant,
                    a.learner_id,
                    a.item_id,
                    a.number,
                    a.score_percent,
                    a.passed,
                    [q for q, _ in a.results],
                    [ok for _, ok in a.results],
                    list(a.skill_ids),
                    a.graded_at,
                    a.attempts_left,
                ),
            )
        )

    async def delete_learner(self, learner_id: str) -> int:
        return await execute(
            self._c,
            "DELETE FROM quiz_attempts WHERE tenant_id = %s AND learner_id = %s",
            (self._tenant, learner_id),
        )


class PostgresSkillsReport:
    """Counts per skill over the tenant's completions (``progress_completed``) and
    attempts (their primary key), in one pass each for every skill asked."""

    def __init__(self, connection: AsyncConnection[Any], tenant_id: str) -> None:
        self._c = connection
        self._tenant = tenant_id

    async def counts(self, skill_ids: list[str]) -> dict[str, tuple[int, int, int, int]]:
        """skill → (distinct learners who completed, completions, attempts, passed)."""
        rows = await fetch_all(self._c, SKILLS_REPORT, {"t": self._tenant, "skills": skill_ids})
        return {
            r["skill_id"]: (r["learners"], r["completions"], r["attempts"], r["passed"])
            for r in rows
        }
