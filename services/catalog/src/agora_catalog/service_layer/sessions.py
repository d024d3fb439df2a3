"""Use cases of face-to-face sessions: taking and giving back a seat."""

from __future__ import annotations

from agora_catalog.domain.model import Item
from agora_catalog.service_layer.access import published_item
from agora_catalog.service_layer.ports import UnitOfWork, UnitOfWorkFactory
from agora_core.errors import FailedPrecondition
from agora_core.identity import Principal


async def _session(uow: UnitOfWork, item_id: str) -> Item:
    item = await published_item(uow, item_id)
    if item.fields.type != "session":
        raise FailedPrecondition(
            f"item {item_id} is a {item.fields.type}, not a session", current_state=item.status
        )
    return item


class Sessions:
    """Seats of published sessions (one conditional statement each: no overbooking)."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    async def register(self, principal: Principal, item_id: str) -> Item:
        """Take a seat (idempotent; refused when the session is full)."""
        async with self._uow(principal.tenant_id) as uow:
            session = await _session(uow, item_id)
            if principal.subject in session.registered_ids:
                return session
            taken = await uow.items.register_seat(item_id, principal.subject)
            if taken is None:  # full, or a concurrent call of the same learner won
                taken = await uow.items.get(item_id)
        if taken is None or principal.subject not in taken.registered_ids:
            raise FailedPrecondition("the session is full", current_state="full")
        return taken

    async def cancel(self, principal: Principal, item_id: str) -> Item:
        """Give the caller's seat back (a no-op when they hold none)."""
        async with self._uow(principal.tenant_id) as uow:
            session = await _session(uow, item_id)
            released = await uow.items.release_seat(item_id, principal.subject)
            return released or session
