"""Two delivery workers (two replicas) and a slow SMTP relay: each email is sent once.

A worker used to lease every delivery of its round up front and then send them
``concurrency`` at a time; behind slow sends, the last ones started after their lease
had run out, when the other replica had already claimed and sent them (found by
tests/faults). The lease is now taken right before each send.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from agora_core.outbox import OutboxHint
from agora_core.storage import Document, create_mongo_client
from agora_core.testing import eventually
from agora_core.testing.smtp_server import SmtpServer
from agora_notifications.adapters.smtp import SmtpSender
from agora_notifications.service_layer.delivery import DeliveryWorker
from agora_notifications.service_layer.ports import SystemClock

pytestmark = pytest.mark.integration

SEND_SECONDS = 0.5
"""How long the relay takes to accept each message."""
SMTP_TIMEOUT = 2.0
LEASE = timedelta(seconds=4.5)
"""More than twice the send timeout, as the service's settings require."""
EMAILS = 12
"""Sent one at a time, the last ones start well after a lease taken at the round's
start would have run out (EMAILS x SEND_SECONDS > LEASE)."""


class RecordedHints:
    """The outbox relay's port: records the hints (no relay runs on this database)."""

    def __init__(self) -> None:
        self.hints: list[OutboxHint | None] = []

    def notify(self, hint: OutboxHint | None = None, /) -> None:
        self.hints.append(hint)


def _worker(
    database: AsyncDatabase[Document], relay: RecordedHints, smtp: SmtpServer, concurrency: int
) -> DeliveryWorker:
    sender = SmtpSender(
        host="127.0.0.1",
        port=smtp.port,
        sender="Agora <no-reply@agora.invalid>",
        username=None,
        password=None,
        use_tls=False,
        start_tls=False,
        timeout=SMTP_TIMEOUT,
    )
    return DeliveryWorker(
        database,
        {"email": sender},
        clock=SystemClock(),
        relay=relay,
        batch_size=100,
        concurrency=concurrency,
        lease=LEASE,
        max_attempts=3,
        backoff_seconds=60,
        backoff_max_seconds=120,
        poll_interval=0.05,
    )


def _email(tenant: str, n: int) -> Document:
    """A due email delivery as the notifier stores it."""
    nid = uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/{n}").hex
    return {
        "_id": f"{nid}:email",
        "tenant_id": tenant,
        "channel": "email",
        "state": "pending",
        "next_attempt_at": SystemClock().now() - timedelta(seconds=1),
        "recipient_id": f"u-{n}",
        "notification_id": nid,
        "category": "badge_awarded",
        "source_event_id": str(uuid.uuid4()),
        "attempts": 0,
        "log": [],
        "email": {
            "to": f"u-{n}@example.com",
            "subject": f"Badge {n}",
            "text": "You earned a badge",
            "html": "<p>You earned a badge</p>",
            "unsubscribe_url": "http://127.0.0.1/unsubscribe?token=x",
        },
    }


async def test_a_second_replica_never_sends_what_a_busy_worker_has_queued(
    mongo_uri: str, unique: str
) -> None:
    smtp = SmtpServer()
    smtp.mailbox.delay_seconds = SEND_SECONDS
    smtp.start()
    client = create_mongo_client(mongo_uri)
    database = client[f"notif_leases_{uuid.uuid4().hex[:10]}"]
    relay = RecordedHints()
    tenant = f"t-{unique}"
    try:
        await database["deliveries"].insert_many([_email(tenant, n) for n in range(EMAILS)])
        busy = _worker(database, relay, smtp, concurrency=1)
        rival = _worker(database, relay, smtp, concurrency=EMAILS)
        first_round = asyncio.create_task(busy.run_once())

        async def leases_of_the_round_start_ran_out() -> bool:
            # Each send takes at least SEND_SECONDS: this many sends outlast the lease.
            return len(smtp.mailbox.messages) * SEND_SECONDS > LEASE.total_seconds()

        await eventually(leases_of_the_round_start_ran_out, timeout=60, interval=0.05)
        # The other replica's round, while the busy worker still has emails to send.
        assert not first_round.done()
        await rival.run_once()
        await first_round

        sent = Counter(str(m["X-Agora-Delivery"]) for m in smtp.mailbox.messages)
        assert {k: n for k, n in sent.items() if n > 1} == {}, "emails sent twice"
        assert len(sent) == EMAILS
        stored = await database["deliveries"].find({"tenant_id": tenant}).to_list()
        assert {d["state"] for d in stored} == {"delivered"}
        assert [d["attempts"] for d in stored] == [1] * EMAILS
        assert [len(d["log"]) for d in stored] == [1] * EMAILS
        assert sorted(str(h.doc_id) for h in relay.hints if h is not None) == sorted(
            d["_id"] for d in stored
        ), "one notification.delivered per email"
    finally:
        smtp.stop()
        await client.drop_database(database.name)
        await client.close()
