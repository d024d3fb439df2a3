"""Three delivery workers (three replicas, each with its own pool) on one PostgreSQL
database, a slow SMTP relay that refuses some recipients: every email is sent once,
none is skipped, refused ones are retried then failed, and the outbox gets one event
per settled delivery; a crashed worker's claim is retaken when its lease ends."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from agora_core.postgres import Database
from agora_core.testing import eventually
from agora_core.testing.postgres import migrated_database
from agora_core.testing.smtp_server import SmtpServer
from agora_notifications.adapters.postgres.deliveries import PostgresDeliveryRepository
from agora_notifications.adapters.postgres.unit_of_work import (
    PostgresDeliveryClaims,
    PostgresUnitOfWorkFactory,
)
from agora_notifications.adapters.smtp import SmtpSender
from agora_notifications.domain.deliveries import Delivery, EmailContent
from agora_notifications.domain.model import DeliveryState
from agora_notifications.migrations import MIGRATIONS
from agora_notifications.service_layer.claiming_worker import ClaimingDeliveryWorker, RetryPolicy
from agora_notifications.service_layer.ports import Clock, SendResult, SystemClock

pytestmark = pytest.mark.integration

TENANTS = ("t-a", "t-b", "t-c")
GOOD = 8
"""Accepted emails per tenant."""
REFUSED = 2
"""Emails per tenant to recipients the relay refuses with a 4xx (retried, then failed)."""
SEND_SECONDS = 0.25
LEASE = timedelta(seconds=5)
"""More than twice the SMTP timeout, as the service's settings require."""


class CountingSender:
    """The real SMTP sender, counting what this replica sent."""

    def __init__(self, smtp: SmtpServer) -> None:
        self.sent: list[str] = []
        self._smtp = SmtpSender(
            host="127.0.0.1",
            port=smtp.port,
            sender="Agora <no-reply@agora.invalid>",
            username=None,
            password=None,
            use_tls=False,
            start_tls=False,
            timeout=2.0,
        )

    async def send(self, delivery: Delivery, now: datetime) -> SendResult:
        self.sent.append(delivery.id)
        return await self._smtp.send(delivery, now)


class MovableClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


@pytest.fixture
async def dsn(postgres_dsn: str) -> str:
    async with migrated_database(postgres_dsn, MIGRATIONS):
        return postgres_dsn


@contextlib.asynccontextmanager
async def replica(
    dsn: str, sender: CountingSender, clock: Clock, concurrency: int = 2
) -> AsyncIterator[tuple[ClaimingDeliveryWorker, Database]]:
    """One worker with a pool of its own, as a separate service process would have."""
    async with migrated_database(dsn, MIGRATIONS, max_size=concurrency + 1) as database:
        worker = ClaimingDeliveryWorker(
            PostgresUnitOfWorkFactory(database),
            PostgresDeliveryClaims(database),
            {"email": sender},
            clock=clock,
            policy=RetryPolicy(
                max_attempts=3, backoff_seconds=0.1, backoff_max_seconds=0.2, lease=LEASE
            ),
            concurrency=concurrency,
            batch_size=100,
            poll_interval=0.05,
        )
        yield worker, database


def _email(tenant: str, n: int, to: str, now: datetime) -> Delivery:
    nid = uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/{n}").hex
    return Delivery(
        id=f"{nid}:email",
        tenant_id=tenant,
        channel="email",
        state=DeliveryState.PENDING,
        create_time=now,
        recipient_id=f"u-{n}",
        notification_id=nid,
        category="badge_awarded",
        next_attempt_at=now,
        email=EmailContent(
            to=to,
            subject=f"Badge {n}",
            text="You earned a badge",
            html="<p>You earned a badge</p>",
            unsubscribe_url="http://127.0.0.1/unsubscribe?token=x",
        ),
    )


async def _store(database: Database, deliveries: list[Delivery]) -> None:
    units = PostgresUnitOfWorkFactory(database)
    for tenant in {d.tenant_id for d in deliveries}:
        mine = [d for d in deliveries if d.tenant_id == tenant]
        async with units(tenant) as uow:
            for delivery in mine:
                assert await uow.deliveries.add_once(delivery)
            await uow.delivery_queue.enqueue(
                tenant, [(d.id, d.next_attempt_at or d.create_time) for d in mine]
            )


async def _stored(database: Database) -> list[Delivery]:
    found = []
    for tenant in TENANTS:
        async with database.unit_of_work(tenant) as core:
            cursor = await core.connection.execute(
                "SELECT delivery_id FROM deliveries WHERE tenant_id = %s", (tenant,)
            )
            repository = PostgresDeliveryRepository(core.connection, tenant)
            for (delivery_id,) in await cursor.fetchall():
                delivery = await repository.get(delivery_id)
                assert delivery is not None
                found.append(delivery)
    return found


async def _count(database: Database, query: str) -> list[tuple[object, ...]]:
    async with database.unit_of_work() as uow:
        cursor = await uow.connection.execute(query)
        return list(await cursor.fetchall())


async def test_three_replicas_send_each_email_once_and_skip_none(dsn: str) -> None:
    smtp = SmtpServer()
    smtp.mailbox.delay_seconds = SEND_SECONDS
    smtp.start()
    clock = SystemClock()
    now = clock.now()
    emails = [
        _email(tenant, n, f"u-{n}@{tenant}.example.com", now)
        for tenant in TENANTS
        for n in range(GOOD)
    ]
    refused = [
        _email(tenant, GOOD + n, f"tempfail-{n}@{tenant}.example.com", now)
        for tenant in TENANTS
        for n in range(REFUSED)
    ]
    senders = [CountingSender(smtp) for _ in range(3)]
    try:
        async with (
            replica(dsn, senders[0], clock) as (first, database),
            replica(dsn, senders[1], clock) as (second, _),
            replica(dsn, senders[2], clock) as (third, _),
        ):
            await _store(database, emails + refused)
            for worker in (first, second, third):
                worker.start()

            async def all_settled() -> bool:
                states = {d.state for d in await _stored(database)}
                return states <= {DeliveryState.DELIVERED, DeliveryState.FAILED}

            try:
                await eventually(all_settled, timeout=60, interval=0.2)
            finally:
                await asyncio.gather(first.stop(), second.stop(), third.stop())
            stored = {d.id: d for d in await _stored(database)}
            queued = await _count(database, "SELECT count(*) FROM delivery_queue")
            events = await _count(database, "SELECT type, aggregateid FROM outbox")
    finally:
        smtp.stop()

    sent = Counter(str(m["X-Agora-Delivery"]) for m in smtp.mailbox.messages)
    assert {k: n for k, n in sent.items() if n > 1} == {}, "emails sent twice"
    assert set(sent) == {e.id for e in emails}, "emails skipped"
    assert all(s.sent for s in senders), "every replica took part"
    for email in emails:
        assert stored[email.id].state is DeliveryState.DELIVERED
        assert stored[email.id].attempts == 1
        assert [a.ok for a in stored[email.id].log] == [True]
    for email in refused:
        assert stored[email.id].state is DeliveryState.FAILED
        assert stored[email.id].attempts == 3
        assert [a.status_code for a in stored[email.id].log] == [451, 451, 451]
    attempts = Counter(d for s in senders for d in s.sent)
    assert all(attempts[e.id] == 3 for e in refused), "each refused email tried 3 times"
    assert queued == [(0,)]
    kinds = Counter(kind for kind, _ in events)
    assert kinds == {
        "org.agora.notifications.notification.delivered.v1": len(emails),
        "org.agora.notifications.notification.failed.v1": len(refused),
    }


async def test_a_crashed_workers_claim_is_retaken_after_its_lease(dsn: str) -> None:
    smtp = SmtpServer()
    smtp.start()
    clock = MovableClock()
    sender = CountingSender(smtp)
    try:
        async with replica(dsn, sender, clock) as (worker, database):
            email = _email("t-a", 1, "u-1@t-a.example.com", clock.now())
            await _store(database, [email])
            # A replica claims the delivery, then dies before sending it.
            crashed = await PostgresDeliveryClaims(database).claim(
                clock.now(), limit=10, lease=LEASE, owner=uuid.uuid4()
            )
            assert [c.delivery_id for c in crashed] == [email.id]
            assert await worker.run_once() == 0, "a live lease is not taken"
            clock.at += LEASE + timedelta(seconds=1)
            assert await worker.run_once() == 1
            # The dead replica's late settle finds its lease gone and changes nothing.
            units = PostgresUnitOfWorkFactory(database)
            async with units("t-a") as uow:
                assert not await uow.delivery_queue.release(crashed[0])
            stored = {d.id: d for d in await _stored(database)}
    finally:
        smtp.stop()
    assert sender.sent == [email.id]
    assert [str(m["X-Agora-Delivery"]) for m in smtp.mailbox.messages] == [email.id]
    assert stored[email.id].state is DeliveryState.DELIVERED
