"""Telling the relay which document a write just gave outbox entries.

A hint lets the relay claim that document by ``_id`` (an index lookup everywhere, the
only one FerretDB has) instead of scanning its collections for pending entries. Hints
are an optimisation, never the record: the entries live in the document, and the
relay's periodic scan still finds whatever a lost or missing hint left behind.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class OutboxHint:
    """The collection and ``_id`` of a document just written with outbox entries."""

    collection: str
    doc_id: Hashable


class OutboxNotifier(Protocol):
    """``relay.notify``: call after a write that appended outbox entries.

    With a hint the relay publishes that document without a scan; without one it
    schedules a scan (writers that cannot name the document).
    """

    def __call__(self, hint: OutboxHint | None = None, /) -> None: ...


class HintQueue:
    """Pending hints, bounded, deduplicated, in arrival order.

    ``add`` returns ``False`` when the queue is full and the hint was dropped: the
    caller must then make sure a scan runs (the entries are still in the document).
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("the hint queue needs room for at least one hint")
        self._capacity = capacity
        self._hints: dict[OutboxHint, None] = {}

    def __len__(self) -> int:
        return len(self._hints)

    def add(self, hint: OutboxHint) -> bool:
        if hint in self._hints:
            return True
        if len(self._hints) >= self._capacity:
            return False
        self._hints[hint] = None
        return True

    def take(self) -> list[OutboxHint]:
        """Every pending hint, oldest first; the queue is left empty."""
        taken = list(self._hints)
        self._hints.clear()
        return taken
