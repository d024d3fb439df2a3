"""Ledger retention: a learner's entries older than the tenant's horizon become one
carried entry, so the ledger stays bounded and the balance stays the ledger's sum.

Pure: the horizon of a retention setting (its bounds are checked with the other tenant
settings, ``domain/settings.py``), and the carried entry that replaces what a
purge deleted. The adapters delete and insert in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from agora_gamification.domain.profile import LedgerLine
from agora_gamification.domain.rules import CARRIED_FORWARD

__all__ = ["CARRIED_FORWARD", "FoldedEntries", "carried_entries", "retention_horizon"]


def retention_horizon(now: dt.datetime, days: int) -> dt.datetime:
    """Entries awarded before this instant are carried: 00:00 UTC of the day ``days``
    before ``now`` (a whole day, so every run of one day has the same horizon and a
    second run finds nothing to do)."""
    day = (now.astimezone(dt.UTC) - dt.timedelta(days=days)).date()
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


@dataclass(frozen=True)
class FoldedEntries:
    """What a purge deleted of one learner: how many entries, their points, and the
    smallest of their entry ids (names the carried entry without naming the learner)."""

    learner_id: str
    entries: int
    points: int
    first_entry_id: str


def carried_entry_id(horizon: dt.datetime, first_entry_id: str) -> str:
    """Deterministic id of the entry carrying a set of deleted entries (a learner's
    entries are theirs alone, so their smallest id identifies the set; no learner id
    in it, so a pseudonymised ledger stays unlinkable)."""
    seed = f"{CARRIED_FORWARD}|{horizon.isoformat()}|{first_entry_id}"
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


def carried_entries(folded: Sequence[FoldedEntries], horizon: dt.datetime) -> list[LedgerLine]:
    """One entry per learner, dated at the horizon, worth exactly what was deleted (its
    ``balance``, the running balance at that point of the history, is the same sum)."""
    return [
        LedgerLine(
            entry_id=carried_entry_id(horizon, f.first_entry_id),
            learner_id=f.learner_id,
            points=f.points,
            rule_id=CARRIED_FORWARD,
            rule_version=0,
            source_event_id="",
            source_event_type="",
            awarded_at=horizon,
            balance=f.points,
        )
        for f in folded
        if f.entries
    ]
