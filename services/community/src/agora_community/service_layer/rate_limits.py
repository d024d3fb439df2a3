"""Per person and action fixed windows, counted in the transaction of the action.

Storage is bounded: one row per tenant, action and person, reused by each new window
(the count restarts when the window does), and expired rows can be purged. A refused
action rolls back with its transaction, so it does not count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from agora_community.domain.model import now_ms
from agora_community.service_layer.ports import UnitOfWork
from agora_core.errors import ResourceExhausted

POST = "post"
LIKE = "like"


@dataclass(frozen=True)
class RateLimits:
    """Actions allowed per person in each window of ``window_seconds``."""

    window_seconds: int
    limits: dict[str, int] = field(default_factory=dict)

    def window_of(self, now: datetime) -> datetime:
        start = int(now.timestamp()) // self.window_seconds * self.window_seconds
        return datetime.fromtimestamp(start, UTC)


async def spend(uow: UnitOfWork, limits: RateLimits, action: str, user_id: str) -> None:
    """Count one ``action`` of ``user_id``; ResourceExhausted past the limit."""
    limit = limits.limits[action]
    now = now_ms()
    start = limits.window_of(now)
    expires = start + timedelta(seconds=limits.window_seconds)
    count = await uow.rate_limits.spend(action, user_id, start, expires)
    if count > limit:
        raise ResourceExhausted(
            f"rate limit of {limit} {action} per {limits.window_seconds}s reached",
            retry_after_seconds=max((expires - now).total_seconds(), 0.0),
        )
