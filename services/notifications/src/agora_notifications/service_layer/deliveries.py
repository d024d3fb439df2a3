"""The delivery-log use cases (admins): list the tenant's deliveries, retry a failed one
(pending again, with a full series of attempts, due now)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from agora_core.errors import FailedPrecondition, NotFound
from agora_core.identity import Principal
from agora_notifications.domain.deliveries import Delivery
from agora_notifications.domain.model import DeliveryState
from agora_notifications.service_layer.ports import UnitOfWorkFactory, Waker


@dataclass(frozen=True)
class DeliveryFilter:
    """What ListDeliveries narrows to (empty: any)."""

    subscription_id: str = ""
    recipient_id: str = ""
    channel: str = ""
    state: DeliveryState | None = None


@dataclass(frozen=True)
class DeliveryPage:
    deliveries: list[Delivery]
    next: tuple[datetime, str] | None


async def list_deliveries(
    units: UnitOfWorkFactory,
    principal: Principal,
    wanted: DeliveryFilter,
    *,
    size: int,
    after: tuple[datetime, str] | None,
) -> DeliveryPage:
    async with units(principal.tenant_id) as uow:
        rows = await uow.deliveries.page(
            subscription_id=wanted.subscription_id,
            recipient_id=wanted.recipient_id,
            channel=wanted.channel,
            state=wanted.state,
            after=after,
            limit=size + 1,
        )
    if len(rows) <= size:
        return DeliveryPage(rows, None)
    shown = rows[:size]
    return DeliveryPage(shown, (shown[-1].create_time, shown[-1].id))


async def retry_delivery(
    units: UnitOfWorkFactory, principal: Principal, delivery_id: str, now: datetime, worker: Waker
) -> Delivery:
    """NOT_FOUND for an unknown id; FAILED_PRECONDITION unless the delivery failed."""
    async with units(principal.tenant_id) as uow:
        retried = await uow.deliveries.retry(delivery_id, now)
        if retried is None:
            current = await uow.deliveries.get(delivery_id)
            if current is None:
                raise NotFound("delivery", delivery_id)
            raise FailedPrecondition(
                f"only failed deliveries can be retried; this one is {current.state.value}",
                current_state=current.state.value,
            )
        await uow.delivery_queue.enqueue(principal.tenant_id, [(delivery_id, now)])
    worker.notify()
    return retried
