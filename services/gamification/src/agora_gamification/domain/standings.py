"""Board order and the shapes of the rank index (pure; no I/O).

A board (tenant, board, period) is indexed by documents addressed by ``_id`` only:

- a **bucket** per points value: the public members with exactly those points, as
  entries ``{t: reached_at, l: learner_id, s: placement seq}``;
- a **range** document per :data:`RANGE_WIDTH` points values: how many members each
  points value of the range has (``{"p<points>": {n, r}}``, ``r`` = the bucket revision
  the count was read from);
- a **directory**: how many members each range has (``{"r<range>": {n, r}}``).

Order and tie rule: more points first; equal points → whoever reached them first;
then learner id. Rank = 1 + members in higher ranges + members with more points in my
range + members of my bucket ordered before me.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

RANGE_WIDTH: Final = 1000
"""Points values per range document: a range document holds at most this many counts,
and the directory one count per range (1,000 entries at a million points)."""


@dataclass(frozen=True, order=True)
class Entry:
    """One member of a bucket, ordered as the board orders equal points."""

    reached_at: str
    learner_id: str
    seq: int = 0

    def document(self) -> dict[str, Any]:
        """The stored form; field order is fixed because ``$addToSet``/``$pullAll``
        compare subdocuments field by field."""
        return {"t": self.reached_at, "l": self.learner_id, "s": self.seq}

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> Entry:
        return cls(str(stored["t"]), str(stored["l"]), int(stored.get("s", 0)))

    def key(self) -> tuple[str, str]:
        """Position among equal points: earlier attainment, then learner id."""
        return (self.reached_at, self.learner_id)


@dataclass(frozen=True)
class Placement:
    """Where a learner sits on a board's index: a points value and a bucket entry."""

    points: int
    entry: Entry

    def document(self) -> dict[str, Any]:
        return {"p": self.points, **self.entry.document()}

    @classmethod
    def of(cls, stored: Mapping[str, Any] | None) -> Placement | None:
        if not stored:
            return None
        return cls(int(stored["p"]), Entry.of(stored))


def range_of(points: int) -> int:
    """The range document holding the count of ``points``."""
    return points // RANGE_WIDTH


def point_field(points: int) -> str:
    """Key of a points value in its range document."""
    return f"p{points}"


def range_field(range_index: int) -> str:
    """Key of a range in the directory."""
    return f"r{range_index}"


def counts_of(stored: Mapping[str, Any] | None, prefix: str) -> dict[int, int]:
    """``{points or range: count}`` of a range document or directory (zeros dropped)."""
    counts: dict[int, int] = {}
    for name, cell in ((stored or {}).get("c") or {}).items():
        if name.startswith(prefix) and int(cell.get("n", 0)) > 0:
            counts[int(name[len(prefix) :])] = int(cell["n"])
    return counts


def ordered(entries: Iterable[Entry]) -> list[Entry]:
    """A bucket's entries in board order (one per learner: the lowest key wins)."""
    seen: dict[str, Entry] = {}
    for entry in sorted(entries, key=Entry.key):
        seen.setdefault(entry.learner_id, entry)
    return sorted(seen.values(), key=Entry.key)


def position_in(entries: Iterable[Entry], me: Entry) -> int:
    """How many of ``entries`` (other learners) are ordered before ``me``."""
    return sum(1 for e in entries if e.learner_id != me.learner_id and e.key() < me.key())


def member_key(learner_id: str) -> str:
    """A learner as a field name (ids may hold "." or "$", which field paths cannot)."""
    return "m" + hashlib.sha256(learner_id.encode()).hexdigest()[:24]
