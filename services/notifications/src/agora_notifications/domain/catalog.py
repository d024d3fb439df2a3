"""What the service knows of the catalog: an item short enough for a nudge."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ShortItem:
    item_id: str
    title: str
    estimated_minutes: int
