"""Leaderboard erasure over the current score documents (``SCORES``)."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from agora_core.storage import Document, TenantRepository
from agora_gamification.adapters.board_index import SCORES


class ScoreDocumentsErasure:
    """Implements ``service_layer.erasure.LeaderboardErasure`` for score documents."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._scores = database[SCORES]

    async def erase_learner_scores(self, tenant_id: str, learner_id: str) -> int:
        """Delete every score of the learner in the tenant (all boards and periods)."""
        scoped = TenantRepository(self._scores, tenant_id).scoped({"learner_id": learner_id})
        result = await self._scores.delete_many(scoped)
        return int(result.deleted_count)
