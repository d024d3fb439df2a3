"""In-memory fake of the BoardStore port (same single-document semantics as
``adapters/board_index.py``), with hooks to crash or interleave before an operation."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from agora_core.outbox import OutboxHint
from agora_gamification.adapters.board_index import (
    bucket_key,
    directory_key,
    range_key,
    team_total_key,
)
from agora_gamification.domain.standings import (
    Entry,
    counts_of,
    point_field,
    range_field,
    range_of,
)


class Crash(Exception):
    """The process died here."""


class RecordingNotifier:
    """The relay's ``notify`` as the use cases see it: records every hint."""

    def __init__(self) -> None:
        self.hints: list[OutboxHint | None] = []

    def __call__(self, hint: OutboxHint | None = None, /) -> None:
        self.hints.append(hint)


Hook = Callable[[str], Awaitable[None]]


class FakeBoardStore:
    """Score documents, buckets, range counts, directories and team totals in dicts."""

    def __init__(self) -> None:
        self.scores: dict[str, dict[str, Any]] = {}
        self.index: dict[str, dict[str, Any]] = {}
        self.teams: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []
        self.crash_at: dict[str, int] = {}
        """Operation name → raise :class:`Crash` on its n-th call from now (1 = next)."""
        self.before: dict[str, Hook] = {}
        """Operation name → coroutine run (once) before it: another writer's turn."""

    async def _op(self, name: str) -> None:
        self.calls.append(name)
        hook = self.before.pop(name, None)
        if hook is not None:
            await hook(name)
        if name in self.crash_at:
            self.crash_at[name] -= 1
            if self.crash_at[name] == 0:
                del self.crash_at[name]
                raise Crash(name)

    # ---- score documents -------------------------------------------------------------

    async def score(self, tenant_id: str, key: str) -> dict[str, Any] | None:
        await self._op("score")
        doc = self.scores.get(key)
        return copy.deepcopy(doc) if doc is not None else None

    async def scores_of(
        self, tenant_id: str, learner_id: str, board: str | None = None
    ) -> list[dict[str, Any]]:
        await self._op("scores_of")
        return [
            copy.deepcopy(d)
            for d in self.scores.values()
            if d["tenant_id"] == tenant_id
            and d["learner_id"] == learner_id
            and (board is None or d["board"] == board)
        ]

    async def forget_learner(self, tenant_id: str, learner_id: str, member: str) -> int:
        await self._op("forget_learner")
        keys = [
            k
            for k, d in self.scores.items()
            if d["tenant_id"] == tenant_id and d["learner_id"] == learner_id
        ]
        for key in keys:
            del self.scores[key]
        prefix = team_total_key(tenant_id, "", "").split("|", 1)[0]
        for key, doc in self.teams.items():
            if key.startswith(prefix):
                doc["m"].pop(member, None)
        return len(keys)

    async def create_score(self, tenant_id: str, document: Mapping[str, Any]) -> bool:
        await self._op("create_score")
        if document["_id"] in self.scores:
            return False
        self.scores[document["_id"]] = {**copy.deepcopy(dict(document)), "tenant_id": tenant_id}
        return True

    async def update_score(
        self, tenant_id: str, key: str, seq: int, fields: Mapping[str, Any]
    ) -> bool:
        await self._op("update_score")
        doc = self.scores.get(key)
        if doc is None or int(doc.get("seq", 0)) != seq:
            return False
        doc.update(copy.deepcopy(dict(fields)))
        return True

    async def clear_pending(self, tenant_id: str, key: str, seq: int) -> bool:
        await self._op("clear_pending")
        doc = self.scores.get(key)
        if doc is None or (doc.get("pending") or {}).get("seq") != seq:
            return False
        del doc["pending"]
        return True

    async def stale_pending(self, before: str, limit: int) -> list[dict[str, Any]]:
        await self._op("stale_pending")
        found = [
            copy.deepcopy(d)
            for d in self.scores.values()
            if d.get("pending") and d["pending"]["at"] < before
        ]
        return found[:limit]

    # ---- the rank index --------------------------------------------------------------

    async def change_bucket(
        self,
        tenant_id: str,
        board: str,
        period: str,
        points: int,
        *,
        add: Entry | None = None,
        remove: Entry | None = None,
    ) -> tuple[int, int] | None:
        await self._op("change_bucket")
        key = bucket_key(tenant_id, board, period, points)
        doc = self.index.get(key)
        if doc is None:
            if add is None:
                return None
            doc = self.index[key] = {"entries": [], "rev": 0}
        entries: list[dict[str, Any]] = doc["entries"]
        if add is not None and add.document() not in entries:
            entries.append(add.document())
        if remove is not None:
            doc["entries"] = entries = [e for e in entries if e != remove.document()]
        doc["rev"] += 1
        return len(entries), doc["rev"]

    def _guarded(self, key: str, cells: Mapping[str, Mapping[str, int]]) -> dict[str, Any] | None:
        doc = self.index.setdefault(key, {"c": {}, "rev": 0})
        for field, cell in cells.items():
            stored = doc["c"].get(field)
            if stored is not None and stored["r"] >= cell["r"]:
                return None
        before = copy.deepcopy(doc)
        doc["c"].update({field: dict(cell) for field, cell in cells.items()})
        doc["rev"] += 1
        return before

    async def set_point_counts(
        self,
        tenant_id: str,
        board: str,
        period: str,
        range_index: int,
        counts: Mapping[int, tuple[int, int]],
    ) -> tuple[int, int, int] | None:
        await self._op("set_point_counts")
        key = range_key(tenant_id, board, period, range_index)
        before = self._guarded(
            key, {point_field(p): {"n": n, "r": r} for p, (n, r) in counts.items()}
        )
        if before is None:
            return None
        after = self.index[key]
        return (
            sum(counts_of(before, "p").values()),
            sum(counts_of(after, "p").values()),
            after["rev"],
        )

    async def set_range_count(
        self, tenant_id: str, board: str, period: str, range_index: int, count: int, rev: int
    ) -> None:
        await self._op("set_range_count")
        self._guarded(
            directory_key(tenant_id, board, period),
            {range_field(range_index): {"n": count, "r": rev}},
        )

    async def directory(self, tenant_id: str, board: str, period: str) -> dict[int, int]:
        await self._op("directory")
        return counts_of(self.index.get(directory_key(tenant_id, board, period)), "r")

    async def range_counts(
        self, tenant_id: str, board: str, period: str, range_index: int
    ) -> dict[int, int]:
        await self._op("range_counts")
        return counts_of(self.index.get(range_key(tenant_id, board, period, range_index)), "p")

    async def bucket(self, tenant_id: str, board: str, period: str, points: int) -> list[Entry]:
        await self._op("bucket")
        doc = self.index.get(bucket_key(tenant_id, board, period, points)) or {}
        return [Entry.of(e) for e in doc.get("entries", ())]

    # ---- team totals -----------------------------------------------------------------

    async def team_total(self, tenant_id: str, team_id: str, period: str) -> dict[str, Any] | None:
        await self._op("team_total")
        doc = self.teams.get(team_total_key(tenant_id, team_id, period))
        return copy.deepcopy(doc) if doc is not None else None

    async def update_team_total(
        self,
        tenant_id: str,
        team_id: str,
        period: str,
        member: str,
        expected: Mapping[str, Any] | None,
        new: Mapping[str, Any],
    ) -> bool:
        await self._op("update_team_total")
        doc = self.teams.setdefault(
            team_total_key(tenant_id, team_id, period), {"total": 0, "m": {}}
        )
        current = doc["m"].get(member)
        if (dict(current) if current is not None else None) != (
            dict(expected) if expected is not None else None
        ):
            return False
        doc["m"][member] = dict(new)
        doc["total"] += int(new["p"]) - int((expected or {}).get("p", 0))
        return True

    # ---- what the index should say -----------------------------------------------------

    def consistent(self, tenant_id: str, board: str, period: str) -> None:
        """Assert the index says exactly what the score documents say."""
        truth = {
            d["learner_id"]: d["on"]
            for d in self.scores.values()
            if d["tenant_id"] == tenant_id and d["board"] == board and d["period"] == period
            if d.get("on")
        }
        prefix = bucket_key(tenant_id, board, period, 0).rsplit("|", 1)[0] + "|"
        seen: dict[str, dict[str, Any]] = {}
        counts: dict[int, int] = {}
        for key, doc in self.index.items():
            if key.startswith(prefix):
                points = int(key.rsplit("|", 1)[1])
                for e in doc["entries"]:
                    assert e["l"] not in seen, f"{e['l']} is in two buckets"
                    seen[e["l"]] = {"p": points, **e}
                if doc["entries"]:
                    counts[points] = len(doc["entries"])
        assert seen == truth
        by_range: dict[int, int] = {}
        for points, n in counts.items():
            stored = counts_of(
                self.index.get(range_key(tenant_id, board, period, range_of(points))), "p"
            )
            assert stored.get(points) == n, f"count of {points}"
            by_range[range_of(points)] = by_range.get(range_of(points), 0) + n
        assert counts_of(self.index.get(directory_key(tenant_id, board, period)), "r") == by_range
        for r in by_range:
            stored = counts_of(self.index.get(range_key(tenant_id, board, period, r)), "p")
            assert stored == {p: n for p, n in counts.items() if range_of(p) == r}
