"""Popularity counters on items and paths, fed by community likes and comments.

A batch of events is summed per target first, then written once per target (one
statement per table and tenant). Exactly once comes from the consumer's
processed-event marks, committed in the same transaction as the counters. The event's
tenant scopes the write: an event from another tenant never finds this tenant's items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Final

from agora_catalog.service_layer.ports import UnitOfWork

LIKE_WEIGHT: Final = 1
COMMENT_WEIGHT: Final = 2
"""A comment is more engagement than a like; popularity = likes + 2 x comments."""
TARGET_TYPES: Final = frozenset({"knowledge", "path"})
"""Likes of questions, answers... are not the catalog's."""

Change = tuple[str, str, int, int]
"""(target type, target id, likes, comments) of one event."""


async def apply_changes(uow: UnitOfWork, changes: Iterable[Change]) -> int:
    """Add every change of one tenant's batch, once per target; how many targets changed."""
    by_type: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for target_type, target_id, likes, comments in changes:
        if target_type in TARGET_TYPES:
            total = by_type[target_type][target_id]
            total[0] += likes
            total[1] += comments
    changed = 0
    for target_type, deltas in by_type.items():
        changed += await uow.popularity.add_counts(
            target_type, {t: (d[0], d[1]) for t, d in deltas.items()}, COMMENT_WEIGHT
        )
    return changed
