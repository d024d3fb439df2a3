"""In-memory fake of the ledger retention port (``RetentionRepository``) over a tenant's
fake ledger, with the PostgreSQL adapter's semantics (one carried entry per learner,
dated at the horizon; a clash of entry ids fails)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from agora_gamification.domain.profile import LedgerLine
from agora_gamification.domain.retention import CARRIED_FORWARD, FoldedEntries

if TYPE_CHECKING:
    from .fakes import TenantData


class FakeRetention:
    def __init__(self, data: TenantData) -> None:
        self._d = data

    async def claim(self) -> int | None:
        return self._d.settings.ledger_retention_days or None

    async def learners_before(self, horizon: dt.datetime, limit: int) -> list[str]:
        old = sorted(
            (
                x
                for x in self._d.ledger.values()
                if x.awarded_at < horizon and x.rule_id != CARRIED_FORWARD
            ),
            key=lambda x: x.awarded_at,
        )
        return list(dict.fromkeys(x.learner_id for x in old[:limit]))

    async def fold_before(
        self, learner_ids: Sequence[str], horizon: dt.datetime
    ) -> list[FoldedEntries]:
        folded = []
        for learner in sorted(set(learner_ids)):
            gone = [
                x
                for x in self._d.ledger.values()
                if x.learner_id == learner
                and (
                    x.awarded_at < horizon
                    or (x.awarded_at == horizon and x.rule_id == CARRIED_FORWARD)
                )
            ]
            for x in gone:
                del self._d.ledger[x.entry_id]
            if gone:
                first = min(x.entry_id for x in gone)
                folded.append(FoldedEntries(learner, len(gone), sum(x.points for x in gone), first))
        return folded

    async def add_carried(self, lines: Sequence[LedgerLine]) -> None:
        clash = [x.entry_id for x in lines if x.entry_id in self._d.ledger]
        if clash:
            raise ValueError(f"ledger entry ids already taken: {clash}")
        self._d.ledger.update((x.entry_id, x) for x in lines)

    async def finished(self, horizon: dt.datetime, at: dt.datetime) -> None:
        self._d.purged_before = horizon
