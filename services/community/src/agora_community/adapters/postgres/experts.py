"""The expert directory: per person and skill, counters and a score, and the evidence
already counted (each piece once)."""

from __future__ import annotations

from collections.abc import Sequence

from agora_community.adapters.postgres.tenant_scoped import TenantScoped
from agora_community.domain.model import Expert
from agora_community.domain.rules import EXPERT_WEIGHTS


def by_skill_sql(*, keyset: bool) -> str:
    """People with evidence in a skill, best first (index ``experts_by_skill``; params:
    tenant, skill, [score, score, person], limit)."""
    after = " AND (score < %s OR (score = %s AND user_id > %s))" if keyset else ""
    return (
        "SELECT skill_id, user_id, score, validated_contributions, accepted_answers,"
        " completions, quiz_passes FROM experts"
        f" WHERE tenant_id = %s AND skill_id = %s AND score > 0{after}"
        " ORDER BY score DESC, user_id LIMIT %s"
    )


class PostgresExpertRepository(TenantScoped):
    async def record(
        self, user_id: str, skill_ids: Sequence[str], counter: str, weight: float, evidence: str
    ) -> int:
        if counter not in EXPERT_WEIGHTS:  # a column name: only the known counters
            raise ValueError(f"unknown expert counter {counter!r}")
        # Only the skills where the evidence is new reach the directory's counters.
        return await self._run(
            "WITH new AS (INSERT INTO expert_evidence (tenant_id, skill_id, user_id, evidence)"
            " SELECT %s, s, %s, %s FROM unnest(%b::text[]) AS s"
            " ON CONFLICT DO NOTHING RETURNING skill_id)"
            f" INSERT INTO experts AS e (tenant_id, skill_id, user_id, {counter}, score)"
            " SELECT %s, skill_id, %s, 1, %s FROM new"
            " ON CONFLICT (tenant_id, skill_id, user_id) DO UPDATE"
            f" SET {counter} = e.{counter} + 1, score = e.score + EXCLUDED.score",
            (self._tenant, user_id, evidence, list(skill_ids), self._tenant, user_id, weight),
        )

    async def by_skill(
        self, skill_id: str, after: tuple[float, str] | None, limit: int
    ) -> list[Expert]:
        params: tuple[object, ...] = (self._tenant, skill_id)
        if after is not None:
            params += (after[0], after[0], after[1])
        rows = await self._all(by_skill_sql(keyset=after is not None), (*params, limit))
        return [Expert(*row) for row in rows]
