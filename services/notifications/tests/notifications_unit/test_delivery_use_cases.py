"""The delivery-log use cases over the fakes: filters and pages, retry of a failed
delivery only, queued again and the worker woken."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agora_core.errors import FailedPrecondition, NotFound
from agora_core.identity import Principal, Role
from agora_notifications.domain.deliveries import Delivery, WebhookContent
from agora_notifications.domain.model import DeliveryState
from agora_notifications.service_layer import deliveries
from agora_notifications.service_layer.deliveries import DeliveryFilter

from .fakes import FakeStore

AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
ADMIN = Principal("u-admin", "t-1", frozenset({Role.ADMIN}))


class CountingWaker:
    def __init__(self) -> None:
        self.woken = 0

    def notify(self) -> None:
        self.woken += 1


def _webhook(n: int, state: DeliveryState, subscription: str = "whs-1") -> Delivery:
    return Delivery(
        id=f"d-{n}",
        tenant_id="t-1",
        channel="webhook",
        state=state,
        create_time=AT + timedelta(minutes=n),
        subscription_id=subscription,
        webhook=WebhookContent("{}", {"ce_id": str(n)}),
    )


async def _store(*rows: Delivery) -> FakeStore:
    store = FakeStore()
    async with store("t-1") as uow:
        for row in rows:
            await uow.deliveries.add_once(row)
    return store


async def test_pages_and_filters() -> None:
    store = await _store(
        _webhook(1, DeliveryState.FAILED),
        _webhook(2, DeliveryState.DELIVERED),
        _webhook(3, DeliveryState.FAILED, "whs-2"),
        _webhook(4, DeliveryState.FAILED),
    )
    failed = DeliveryFilter(subscription_id="whs-1", state=DeliveryState.FAILED)
    first = await deliveries.list_deliveries(store, ADMIN, failed, size=1, after=None)
    assert [d.id for d in first.deliveries] == ["d-4"]
    second = await deliveries.list_deliveries(store, ADMIN, failed, size=1, after=first.next)
    assert [d.id for d in second.deliveries] == ["d-1"]
    assert second.next is None
    everything = await deliveries.list_deliveries(
        store, ADMIN, DeliveryFilter(), size=10, after=None
    )
    assert [d.id for d in everything.deliveries] == ["d-4", "d-3", "d-2", "d-1"]


async def test_only_a_failed_delivery_is_retried_and_queued_again() -> None:
    store = await _store(_webhook(1, DeliveryState.FAILED), _webhook(2, DeliveryState.DELIVERED))
    waker = CountingWaker()
    now = AT + timedelta(hours=1)
    retried = await deliveries.retry_delivery(store, ADMIN, "d-1", now, waker)
    assert retried.state is DeliveryState.PENDING
    assert retried.attempts == 0
    assert store.queue.due == {("t-1", "d-1"): now}
    assert waker.woken == 1
    with pytest.raises(FailedPrecondition):
        await deliveries.retry_delivery(store, ADMIN, "d-2", now, waker)
    with pytest.raises(FailedPrecondition):
        await deliveries.retry_delivery(store, ADMIN, "d-1", now, waker)
    with pytest.raises(NotFound):
        await deliveries.retry_delivery(store, ADMIN, "d-404", now, waker)
    other_tenant = Principal("u-admin", "t-2", frozenset({Role.ADMIN}))
    with pytest.raises(NotFound):
        await deliveries.retry_delivery(store, other_tenant, "d-1", now, waker)
    assert waker.woken == 1
