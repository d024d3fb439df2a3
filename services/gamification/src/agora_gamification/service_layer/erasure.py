"""Right to erasure in gamification: amounts stay, identity goes.

- The point ledger keeps every entry and its amount (tenant totals, rule statistics and
  audits stay right) with the learner id replaced by a random pseudonym chosen for this
  erasure. The pseudonym is the same for all of the person's entries, so they still add
  up per (anonymous) learner, and it is recorded nowhere once the erasure completes:
  nothing links it back to the person (see ``agora_core.privacy.tombstones``).
- Challenges keep their participants, progress and winners under the same pseudonym, so
  a running challenge still counts and closes correctly for the others.
- The profile (points, level, streak, badge progress, memberships, settings), badge
  awards (Open Badges credentials name their recipient) and every leaderboard score
  are deleted; the person is taken out of teams.

Leaderboard storage is reached through :class:`LeaderboardErasure`, so the way scores
are stored can change without touching this module.
"""

from __future__ import annotations

from typing import Final, Protocol

from agora_core.privacy import Anonymise, Delete, ErasurePlan
from agora_gamification.adapters.board_index import BOARD_INDEX, SCORES, TEAM_TOTALS
from agora_gamification.adapters.mongo import (
    AWARDS,
    BADGES,
    CHALLENGES,
    LEDGER,
    PROFILES,
    RULE_VERSIONS,
    RULES,
    TEAMS,
    TENANTS,
    GamificationStore,
)
from agora_gamification.service_layer.boards import BoardWriter
from agora_gamification.service_layer.ports import BoardStore

ERASURE_PLAN: Final = ErasurePlan(
    steps=(
        Delete(PROFILES, ("learner_id",), "the profile describes the person only"),
        Delete(AWARDS, ("learner_id",), "a credential names its recipient"),
        Anonymise(
            LEDGER, ("learner_id",), "amounts stay, under an unlinkable id", pseudonymous=True
        ),
        Anonymise(
            CHALLENGES,
            ("participant_ids", "progress.learner_id", "attempt_by", "winner_ids", "created_by"),
            "challenges keep counting for the others",
            pseudonymous=True,
        ),
        # After remove_from_teams nothing is left here; kept as a safety net.
        Anonymise(TEAMS, ("member_ids",), "teams stay"),
    ),
    not_personal={
        SCORES: "erased through LeaderboardErasure (a custom step)",
        BOARD_INDEX: "rank index entries removed through LeaderboardErasure",
        TEAM_TOTALS: "team sums; the person's contribution removed through LeaderboardErasure",
        RULES: "tenant configuration",
        RULE_VERSIONS: "tenant configuration history",
        BADGES: "badge definitions",
        TENANTS: "tenant settings and counters",
    },
)


class LeaderboardErasure(Protocol):
    """What erasure needs of leaderboard storage (implemented next to that storage)."""

    async def erase_learner_scores(self, tenant_id: str, learner_id: str) -> int:
        """Remove the learner from every board and period of the tenant; how many
        scores were removed. Re-running it removes nothing."""
        ...


async def remove_from_teams(store: GamificationStore, tenant_id: str, person_id: str) -> int:
    """Take the person out of every team of the tenant."""
    teams = store.repo(TEAMS, tenant_id)
    changed = 0
    for team in await teams.find({"member_ids": person_id}, projection={"_id": 1}):
        if await teams.update_one({"_id": team["_id"]}, {"$pullAll": {"member_ids": [person_id]}}):
            changed += 1
    return changed


class BoardErasure:
    """:class:`LeaderboardErasure` over the rank index: the learner leaves every board
    the way leaving a space does (index entries, counts and team totals move through
    :class:`BoardWriter`), then their score documents are deleted."""

    def __init__(
        self, writer: BoardWriter, store: BoardStore, score_documents: LeaderboardErasure
    ) -> None:
        self._writer = writer
        self._store = store
        self._score_documents = score_documents

    async def erase_learner_scores(self, tenant_id: str, learner_id: str) -> int:
        """Take the learner off every board and period, then delete their scores."""
        boards = sorted(
            {str(d["board"]) for d in await self._store.scores_of(tenant_id, learner_id)}
        )
        for board in boards:
            await self._writer.remove(tenant_id, learner_id, board)
        return await self._score_documents.erase_learner_scores(tenant_id, learner_id)
