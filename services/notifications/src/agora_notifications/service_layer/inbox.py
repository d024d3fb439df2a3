"""The inbox use cases: a person reads and marks their own notifications (the caller is
the recipient, always; the tenant is the caller's)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from agora_core.identity import Principal
from agora_notifications.domain.inbox import InboxPosition, Notification
from agora_notifications.service_layer.ports import UnitOfWorkFactory


@dataclass(frozen=True)
class InboxPage:
    """One page, newest first; ``next`` is where the following page starts (None: last)."""

    notifications: list[Notification]
    next: InboxPosition | None


async def list_inbox(
    units: UnitOfWorkFactory,
    principal: Principal,
    *,
    size: int,
    after: InboxPosition | None,
    unread_only: bool,
) -> InboxPage:
    async with units(principal.tenant_id) as uow:
        rows = await uow.inbox.page(
            principal.subject, after=after, limit=size + 1, unread_only=unread_only
        )
    if len(rows) <= size:
        return InboxPage(rows, None)
    shown = rows[:size]
    return InboxPage(shown, InboxPosition(shown[-1].create_time, shown[-1].notification_id))


async def unread_count(units: UnitOfWorkFactory, principal: Principal) -> int:
    async with units(principal.tenant_id) as uow:
        return await uow.inbox.unread_count(principal.subject)


async def mark_read(
    units: UnitOfWorkFactory, principal: Principal, ids: Sequence[str], now: datetime
) -> int:
    """Mark the caller's unread ones among ``ids``; another person's ids change nothing."""
    async with units(principal.tenant_id) as uow:
        return await uow.inbox.mark_read(principal.subject, ids, now)


async def mark_all_read(units: UnitOfWorkFactory, principal: Principal, now: datetime) -> int:
    async with units(principal.tenant_id) as uow:
        return await uow.inbox.mark_all_read(principal.subject, now)
