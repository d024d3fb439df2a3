"""Use case: set leaderboard scores and keep the rank index exact (no transactions).

The score document (one per board, period and learner) is the truth. Every change of
it is one conditional write (on its move counter ``seq``) that also records the
**pending move**: where the learner sat on the index (``from``), where they sit now
(``to``; none when opted out or no longer a member) and their team contribution.
Then the move is applied to the index, each step idempotent:

1. add the ``to`` entry to its bucket / remove the ``from`` entry from its bucket
   (``$addToSet`` / ``$pullAll`` of exact entries, which carry the move's seq);
2. each bucket write returns the bucket's size and revision; the count of that points
   value in its range document is set from them unless a newer revision was counted,
   and likewise the range's count in the directory;
3. a team board also moves the team total (compare-and-set of the member's
   contribution ``{p, s}`` and ``$inc`` of the difference, in one write);
4. the pending move is cleared iff it is still move ``seq``.

A crash anywhere leaves the pending move on the score document: the next write of
that score applies it first, and :meth:`BoardWriter.repair` (at start-up and
periodically) applies moves left pending for longer than a grace period. Redelivered
events find the score already written and only help finish a pending move.

Two writers of one learner's score (two replicas, a redelivery) are ordered by the
``seq`` guard. A slow writer may still add its ``to`` entry after a newer move took it
away; it finds out at step 4 (its move is no longer pending) and takes the entry back
unless the learner still sits there.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import structlog

from agora_gamification.adapters.board_index import score_key
from agora_gamification.adapters.mongo import Score
from agora_gamification.domain.standings import Entry, Placement, member_key, range_of
from agora_gamification.service_layer.ports import BoardStore

log = structlog.get_logger(__name__)

Clock = Callable[[], dt.datetime]
TEAM_PREFIX: Final = "team:"
MAX_ATTEMPTS: Final = 50
"""Compare-and-set retries of one score (only concurrent writers of it cause one)."""
REPAIR_GRACE: Final = dt.timedelta(seconds=30)
"""A move pending for longer than this is taken as left by a crashed writer (applying it
while its writer is still at work is harmless: every step is idempotent)."""


class BoardWriter:
    """Writes score documents and applies their moves to the rank index."""

    def __init__(self, store: BoardStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def set_scores(self, tenant_id: str, scores: Sequence[Score], version: int) -> None:
        """Set scores from profile version ``version`` (an older version never
        overwrites a newer one); different boards and periods are written concurrently."""
        async with asyncio.TaskGroup() as group:
            for score in scores:
                group.create_task(self.place(tenant_id, score, version))

    async def remove(self, tenant_id: str, learner_id: str, board: str) -> None:
        """Take a learner off a board (left the space or the team), every period."""
        for doc in await self._store.scores_of(tenant_id, learner_id, board):
            await self.place(tenant_id, _score_of(doc), int(doc.get("v", 0)), member=False)

    async def set_public(self, tenant_id: str, learner_id: str, public: bool) -> None:
        """Show or hide a learner on every board and period (opt-out)."""
        for doc in await self._store.scores_of(tenant_id, learner_id):
            score = _score_of(doc)
            score = Score(
                score.board, score.period, learner_id, score.points, score.reached_at, public
            )
            await self.place(
                tenant_id, score, int(doc.get("v", 0)), member=bool(doc.get("member", True))
            )

    async def place(
        self, tenant_id: str, score: Score, version: int, *, member: bool = True
    ) -> None:
        """Write one score and apply its move (see the module doc)."""
        key = score_key(tenant_id, score.board, score.period, score.learner_id)
        fields: dict[str, Any] = {
            "points": score.points,
            "reached_at": score.reached_at,
            "public": score.public,
            "member": member,
            "v": version,
        }
        for _ in range(MAX_ATTEMPTS):
            doc = await self._store.score(tenant_id, key)
            if doc is not None and doc.get("pending"):
                await self._apply(tenant_id, doc)
            if doc is not None and (
                int(doc.get("v", 0)) > version or all(doc.get(k) == v for k, v in fields.items())
            ):
                return  # written from a newer profile version, or already as asked
            seq = int((doc or {}).get("seq", 0))
            before = Placement.of((doc or {}).get("on"))
            after: Placement | None = None
            if score.public and member:
                after = Placement(score.points, Entry(score.reached_at, score.learner_id, seq + 1))
                if before is not None and (before.points, before.entry.key()) == (
                    after.points,
                    after.entry.key(),
                ):
                    after = before  # same place: keep the entry that is there
            pending = {
                "seq": seq + 1,
                "from": None if before is None else before.document(),
                "to": None if after is None else after.document(),
                "team": score.points if member else 0,
                "at": self._clock().isoformat(),
            }
            update = {
                **fields,
                "seq": seq + 1,
                "on": pending["to"],
                "pending": pending,
            }
            identity = {
                "board": score.board,
                "period": score.period,
                "learner_id": score.learner_id,
            }
            if doc is None:
                written = await self._store.create_score(
                    tenant_id, {"_id": key, **identity, **update}
                )
            else:
                written = await self._store.update_score(tenant_id, key, seq, update)
            if written:
                await self._apply(
                    tenant_id, {"_id": key, "tenant_id": tenant_id, **identity, **update}
                )
                return
            # Another writer changed this score meanwhile: read it again.
        raise RuntimeError(f"score {key} kept changing under {MAX_ATTEMPTS} attempts")

    async def repair(self, grace: dt.timedelta = REPAIR_GRACE, limit: int = 1000) -> int:
        """Apply moves left pending by crashed writers; returns how many were found."""
        before = (self._clock() - grace).isoformat()
        docs = await self._store.stale_pending(before, limit)
        for doc in docs:
            await self._apply(str(doc["tenant_id"]), doc)
        if docs:
            log.info("leaderboard moves repaired", count=len(docs))
        return len(docs)

    async def _apply(self, tenant_id: str, doc: Mapping[str, Any], depth: int = 0) -> None:
        pending = doc["pending"]
        seq = int(pending["seq"])
        board, period = str(doc["board"]), str(doc["period"])
        before = Placement.of(pending.get("from"))
        after = Placement.of(pending.get("to"))
        async with asyncio.TaskGroup() as group:
            if after != before:
                if after is not None:
                    group.create_task(
                        self._change(tenant_id, board, period, after.points, add=after.entry)
                    )
                if before is not None:
                    group.create_task(
                        self._change(tenant_id, board, period, before.points, remove=before.entry)
                    )
            if board.startswith(TEAM_PREFIX):
                group.create_task(
                    self._team(
                        tenant_id,
                        board.removeprefix(TEAM_PREFIX),
                        period,
                        str(doc["learner_id"]),
                        {"p": int(pending["team"]), "s": seq},
                    )
                )
        key = str(doc["_id"])
        if await self._store.clear_pending(tenant_id, key, seq):
            return
        # No longer pending: another process finished it, or a newer move replaced it
        # (its writer applied this one first) and our add may have come after that
        # move took the entry away. Take it back unless the learner still sits there.
        current = await self._store.score(tenant_id, key)
        if after is not None and (current is None or Placement.of(current.get("on")) != after):
            await self._change(tenant_id, board, period, after.points, remove=after.entry)
        if current is not None and current.get("pending") and depth < 2:
            await self._apply(tenant_id, current, depth + 1)

    async def _change(
        self,
        tenant_id: str,
        board: str,
        period: str,
        points: int,
        *,
        add: Entry | None = None,
        remove: Entry | None = None,
    ) -> None:
        """One bucket write, then its count carried to the range and the directory."""
        snapshot = await self._store.change_bucket(
            tenant_id, board, period, points, add=add, remove=remove
        )
        if snapshot is None:
            return  # removing from a bucket that never existed: nothing was counted
        size, rev = snapshot
        totals = await self._store.set_point_count(tenant_id, board, period, points, size, rev)
        if totals is None:
            return  # a newer state of the bucket was counted; its writer carries it on
        total, range_rev = totals
        await self._store.set_range_count(
            tenant_id, board, period, range_of(points), total, range_rev
        )

    async def _team(
        self, tenant_id: str, team_id: str, period: str, learner_id: str, new: Mapping[str, int]
    ) -> None:
        member = member_key(learner_id)
        for _ in range(MAX_ATTEMPTS):
            doc = await self._store.team_total(tenant_id, team_id, period)
            current = ((doc or {}).get("m") or {}).get(member)
            if current is not None and int(current["s"]) >= new["s"]:
                return  # this move, or a newer one, is counted
            if await self._store.update_team_total(
                tenant_id, team_id, period, member, current, new
            ):
                return
        raise RuntimeError(f"team total {team_id}/{period} kept changing")


def _score_of(doc: Mapping[str, Any]) -> Score:
    return Score(
        board=str(doc["board"]),
        period=str(doc["period"]),
        learner_id=str(doc["learner_id"]),
        points=int(doc.get("points", 0)),
        reached_at=str(doc.get("reached_at", "")),
        public=bool(doc.get("public", True)),
    )
