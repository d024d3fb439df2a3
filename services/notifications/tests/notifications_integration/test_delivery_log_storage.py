"""The delivery log on PostgreSQL: keyset pages newest first with their filters, each
shape served by its index; retrying a failed delivery; cancelling a deleted
subscription's pending ones; the queue following in the same transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from agora_core.postgres import Database
from agora_core.testing.postgres import assert_index_serves, migrated_database, query_plan
from agora_notifications.adapters.postgres.deliveries import log_page_sql
from agora_notifications.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_notifications.domain.deliveries import Delivery, EmailContent, WebhookContent
from agora_notifications.domain.model import DeliveryState
from agora_notifications.migrations import MIGRATIONS

pytestmark = pytest.mark.integration

T = "t-log"
AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as migrated:
        yield migrated


def _delivery(n: int, state: DeliveryState, *, webhook: bool) -> Delivery:
    return Delivery(
        id=f"d-{n:02d}",
        tenant_id=T,
        channel="webhook" if webhook else "email",
        state=state,
        create_time=AT + timedelta(minutes=n // 2),  # pairs share a time: the id decides
        recipient_id="" if webhook else f"u-{n % 2}",
        subscription_id="whs-1" if webhook else "",
        webhook=WebhookContent("{}", {"ce_id": str(n)}) if webhook else None,
        email=None if webhook else EmailContent("a@b.c", "s", "t", "<p>t</p>", "u"),
    )


async def test_pages_filters_retry_and_cancel(database: Database) -> None:
    units = PostgresUnitOfWorkFactory(database)
    deliveries = [
        _delivery(n, DeliveryState.FAILED if n % 3 == 0 else DeliveryState.PENDING, webhook=n < 6)
        for n in range(12)
    ]
    async with units(T) as uow:
        for delivery in deliveries:
            assert await uow.deliveries.add_once(delivery)
    newest_first = sorted(deliveries, key=lambda d: (d.create_time, d.id), reverse=True)
    async with units(T) as uow:
        seen: list[str] = []
        after = None
        while True:
            page = await uow.deliveries.page(after=after, limit=5)
            seen += [d.id for d in page]
            if len(page) < 5:
                break
            after = (page[-1].create_time, page[-1].id)
        assert seen == [d.id for d in newest_first]
        webhooks = await uow.deliveries.page(subscription_id="whs-1", limit=50)
        assert [d.id for d in webhooks] == [d.id for d in newest_first if d.subscription_id]
        failed_email = await uow.deliveries.page(
            channel="email", state=DeliveryState.FAILED, limit=50
        )
        assert [d.id for d in failed_email] == ["d-09", "d-06"]
        of_person = await uow.deliveries.page(recipient_id="u-1", limit=2)
        assert [d.id for d in of_person] == ["d-11", "d-09"]

        retried = await uow.deliveries.retry("d-06", AT + timedelta(hours=1))
        assert retried is not None
        assert retried.state is DeliveryState.PENDING
        assert retried.attempts == 0
        assert await uow.deliveries.retry("d-06", AT) is None, "only a failed one is retried"
        assert await uow.deliveries.retry("d-07", AT) is None

        cancelled = await uow.deliveries.cancel_pending_of_subscription("whs-1")
        assert sorted(cancelled) == ["d-01", "d-02", "d-04", "d-05"]
        assert await uow.deliveries.cancel_pending_of_subscription("whs-1") == []
        left = await uow.deliveries.page(subscription_id="whs-1", limit=50)
        assert {d.state for d in left} == {DeliveryState.CANCELLED, DeliveryState.FAILED}


async def test_every_log_page_shape_is_an_index_range_read(database: Database) -> None:
    for by, index, key in (
        (None, "deliveries_log", ()),
        ("subscription", "deliveries_of_subscription", ("whs-1",)),
        ("recipient", "deliveries_of_recipient", ("u-1",)),
    ):
        for after in (False, True):
            for filters in (False, True):
                sql = log_page_sql(by=by, after=after, channel=filters, state=filters)
                params = (T, *key, *(("email", "failed") if filters else ()))
                params += (AT, "d-1") if after else ()
                plan = await query_plan(database, sql, (*params, 51), tenant_id=T)
                # Channel and state are checked on the rows the index gives, in order.
                assert_index_serves(plan, index, filtered=filters)
