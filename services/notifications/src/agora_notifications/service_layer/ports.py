"""Ports the use cases depend on; adapters implement them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from agora_core.outbox import OutboxHint
from agora_notifications.domain.deliveries import Delivery


class Clock(Protocol):
    """Where "now" comes from; tests inject a controllable one (no sleeping for time)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class SendResult:
    """Outcome of one delivery attempt."""

    ok: bool
    status_code: int = 0
    error: str = ""
    permanent: bool = False
    """Retrying cannot help (e.g. the address is refused): fail now."""


class ChannelSender(Protocol):
    """Sends one claimed delivery over its channel."""

    async def send(self, delivery: Delivery, now: datetime) -> SendResult: ...


class Waker(Protocol):
    def notify(self) -> None: ...


class RelayWaker(Protocol):
    """The outbox relay: a hint names the document just written with entries, which the
    relay then claims by ``_id`` instead of scanning the collection."""

    def notify(self, hint: OutboxHint | None = None, /) -> None: ...
