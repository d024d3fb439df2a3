"""The notifications rig and audit: the service as a real process with its own
database and consumer group, a real SMTP server and a real webhook receiver on
loopback, and the clean single pass every scenario is compared with.

The audit reads what a client and the outside world see: each person's inbox over
gRPC (every page), the delivery log over gRPC (every attempt of every email and
webhook delivery), the emails the SMTP server accepted and the webhook requests the
receiver answered with a 2xx. From the database where gRPC cannot show it: which event
each delivery came from, one processed mark per event, no outbox left, no lease held.
"""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
import psycopg
import pytest

from agora.notifications.v1 import notifications_pb2 as pb
from agora.notifications.v1.notifications_pb2_grpc import NotificationsServiceStub
from agora_contracts.events.domains.notifications import (
    DELIVERIES_TOPIC,
    NotificationDeliveredV1,
    NotificationFailedV1,
)
from agora_contracts.events.registry import REGISTRY
from agora_contracts.events.schemas import load_platform_events
from agora_core.testing import eventually
from agora_core.testing.event_tap import (
    EventTap,
    publish_events,
    start_group_at_end,
    tapping,
    wait_caught_up,
)
from agora_core.testing.grpc_assertions import caller
from agora_core.testing.postgres import (
    create_test_database,
    drop_test_database,
    dsn_for_database,
)
from agora_core.testing.smtp_server import SmtpServer
from agora_core.testing.webhook_receiver import WebhookReceiver

from .notifications_stream import (
    LOCALES,
    PEOPLE,
    WEBHOOK_TYPES,
    NotificationStream,
    build_notification_stream,
)
from .processes import ServiceProcess

if TYPE_CHECKING:
    from agora.notifications.v1.notifications_pb2_grpc import NotificationsServiceAsyncStub

PREFIX = "AGORA_NOTIFICATIONS_"
DELIVERED = REGISTRY.spec_for(NotificationDeliveredV1).event_type
FAILED = REGISTRY.spec_for(NotificationFailedV1).event_type
WAIT = 300.0
"""Seconds to wait for a tenant's stream to be handled and delivered (2 shared cores)."""
MAX_ATTEMPTS = 50
"""The product's ceiling: with the short backoff below, about 2.5 minutes of retries,
far longer than any outage a scenario makes (it ends each one on a condition)."""

SEND_TIMEOUT = 2.0
LEASE_SECONDS = 4.5

InboxEntry = tuple[str, str, str, str, str]
"""(person, category, subject, title, body)."""
EmailEntry = tuple[str, str, int]
"""(person, Subject header, position of the event it tells of)."""


@dataclass(frozen=True)
class DeliveryRecord:
    """One delivery as the gRPC delivery log shows it, with its source event."""

    delivery_id: str
    channel: str
    notification_id: str
    position: int
    state: int
    attempts: int
    log: tuple[tuple[bool, int, str], ...]
    """(ok, status code, error) of every attempt, in order."""

    @property
    def failures(self) -> tuple[tuple[bool, int, str], ...]:
        return self.log[:-1]


@dataclass(frozen=True)
class NotificationsState:
    """What the audit compares with the clean pass, plus the log it checks."""

    inbox: Counter[InboxEntry]
    emails: Counter[EmailEntry]
    webhooks: Counter[int]
    """Positions of the events the receiver accepted, with how many times."""
    deliveries: tuple[DeliveryRecord, ...]

    def of(self, channel: str) -> list[DeliveryRecord]:
        return [d for d in self.deliveries if d.channel == channel]


def _admin(tenant: str) -> Any:
    return caller(("admin",), tenant=tenant, subject="u-admin")


async def prepare_tenant(address: str, stream: NotificationStream, url: str) -> None:
    """The tenant's HR sync (profiles with and without email) and its integrator's
    webhook subscription, as an admin would set them up before the events flow."""
    profiles = [
        pb.Profile(
            person_id=person,
            email=stream.address(person),
            locale=LOCALES.get(person, "en"),
            time_zone="UTC",
        )
        for person in PEOPLE
    ]
    async with grpc.aio.insecure_channel(address) as channel:
        stub: NotificationsServiceAsyncStub = NotificationsServiceStub(channel)
        metadata = _admin(stream.tenant)
        upserted = await stub.UpsertProfiles(
            pb.UpsertProfilesRequest(profiles=profiles), metadata=metadata
        )
        assert upserted.upserted == len(PEOPLE)
        await stub.CreateWebhookSubscription(
            pb.CreateWebhookSubscriptionRequest(url=url, event_types=list(WEBHOOK_TYPES)),
            metadata=metadata,
        )


# The operator's connection to the service's database (superuser: every tenant's rows).
Connection = psycopg.AsyncConnection[tuple[Any, ...]]


async def _count(database: Connection, query: str, *params: Any) -> int:
    cursor = await database.execute(query, params)
    row = await cursor.fetchone()
    return 0 if row is None else int(row[0])


async def processed(database: Connection, stream: NotificationStream) -> int:
    """How many of the stream's events are marked processed (the service also marks the
    ``notification.delivered`` events it consumes back, in the same tenant)."""
    types = sorted({event.headers["ce_type"] for event in stream.events})
    return await _count(
        database,
        "SELECT count(*) FROM processed_events WHERE tenant_id = %s AND event_type = ANY(%s)",
        stream.tenant,
        types,
    )


async def wait_settled(database: Connection, stream: NotificationStream) -> None:
    """Until every event is marked processed (its deliveries exist by then), no delivery
    is pending or queued, and no outbox row of the tenant is left unpublished."""
    tenant = stream.tenant

    async def settled() -> bool:
        if await processed(database, stream) < len(stream.events):
            return False
        for query in (
            "SELECT count(*) FROM deliveries WHERE tenant_id = %s AND state = 'pending'",
            "SELECT count(*) FROM delivery_queue WHERE tenant_id = %s",
            "SELECT count(*) FROM outbox WHERE tenant_id = %s",
        ):
            if await _count(database, query, tenant):
                return False
        return True

    await eventually(settled, timeout=WAIT, interval=0.5)


async def _inbox(stub: NotificationsServiceAsyncStub, tenant: str, person: str) -> list[Any]:
    metadata = caller(("learner",), tenant=tenant, subject=person)
    entries: list[Any] = []
    token = ""
    while True:
        page = await stub.ListInbox(
            pb.ListInboxRequest(page_size=100, page_token=token), metadata=metadata
        )
        entries.extend(page.notifications)
        token = page.next_page_token
        if not token:
            return entries


async def _delivery_log(stub: NotificationsServiceAsyncStub, tenant: str) -> list[Any]:
    deliveries: list[Any] = []
    token = ""
    while True:
        page = await stub.ListDeliveries(
            pb.ListDeliveriesRequest(page_size=100, page_token=token), metadata=_admin(tenant)
        )
        deliveries.extend(page.deliveries)
        token = page.next_page_token
        if not token:
            return deliveries


_CHANNELS = {pb.CHANNEL_EMAIL: "email", pb.CHANNEL_WEBHOOK: "webhook"}


async def notifications_state(
    address: str,
    database: Connection,
    stream: NotificationStream,
    smtp: SmtpServer,
    receiver: WebhookReceiver,
    path: str,
    tap: EventTap,
) -> NotificationsState:
    """Read the tenant's state once it is settled and check what holds in any run: each
    email and each webhook arrived exactly once, each delivery delivered once after its
    failed attempts, the log and what arrived agree."""
    tenant = stream.tenant
    cursor = await database.execute(
        "SELECT delivery_id, coalesce(source_event_id, notification_id) FROM deliveries"
        " WHERE tenant_id = %s",
        (tenant,),
    )
    sources = {str(row[0]): stream.position(str(row[1])) for row in await cursor.fetchall()}
    inbox: Counter[InboxEntry] = Counter()
    notification_ids: set[str] = set()
    async with grpc.aio.insecure_channel(address) as channel:
        stub: NotificationsServiceAsyncStub = NotificationsServiceStub(channel)
        for person in PEOPLE:
            for entry in await _inbox(stub, tenant, person):
                assert entry.notification_id not in notification_ids, f"listed twice: {entry}"
                notification_ids.add(entry.notification_id)
                inbox[(person, entry.category, entry.subject_id, entry.title, entry.body)] += 1
        log = await _delivery_log(stub, tenant)

    deliveries: list[DeliveryRecord] = []
    for d in log:
        record = DeliveryRecord(
            delivery_id=d.delivery_id,
            channel=_CHANNELS[d.channel],
            notification_id=d.notification_id,
            position=sources[d.delivery_id],
            state=d.state,
            attempts=d.attempts,
            log=tuple((a.ok, a.status_code, a.error) for a in d.log),
        )
        assert record.state == pb.DELIVERY_STATE_DELIVERED, f"not delivered: {d}"
        assert record.attempts == len(record.log), f"attempts != log entries: {d}"
        assert record.log[-1][0], f"the last attempt must be the success: {d}"
        assert not any(ok for ok, _, _ in record.failures), f"delivered twice: {d}"
        assert all(error for _, _, error in record.failures), f"a failure says why: {d}"
        if record.channel == "email":
            assert d.notification_id in notification_ids, f"email without inbox entry: {d}"
        deliveries.append(record)
    assert len({d.delivery_id for d in deliveries}) == len(deliveries) == len(sources)

    # What the SMTP server accepted: one message per email delivery, none twice.
    domain = f"@{tenant}.example.com"
    mails = [m for m in smtp.mailbox.messages if str(m["To"]).endswith(domain)]
    per_delivery = Counter(str(m["X-Agora-Delivery"]) for m in mails)
    doubled = {k: n for k, n in per_delivery.items() if n > 1}
    assert not doubled, f"emails sent more than once: {doubled}"
    assert len({str(m["Message-ID"]) for m in mails}) == len(mails), "Message-ID reused"
    assert set(per_delivery) == {d.delivery_id for d in deliveries if d.channel == "email"}
    emails: Counter[EmailEntry] = Counter(
        (stream.person_of(str(m["To"])), str(m["Subject"]), sources[str(m["X-Agora-Delivery"])])
        for m in mails
    )

    # What the webhook endpoint took in: one 2xx per CloudEvents id.
    accepted = Counter(r.headers["ce-id"] for r in receiver.accepted_at(path))
    doubled = {k: n for k, n in accepted.items() if n > 1}
    assert not doubled, f"webhooks accepted more than once: {doubled}"
    webhook_events = {stream.events[d.position].event_id for d in deliveries}
    assert set(accepted) <= webhook_events, "a webhook no delivery accounts for"
    webhooks: Counter[int] = Counter(stream.position(ce_id) for ce_id in accepted.elements())
    assert webhooks.keys() == {d.position for d in deliveries if d.channel == "webhook"}

    # What other services hear: notification.delivered for every inbox entry and every
    # email (from the outbox, at-least-once: a repeat is allowed, a gap is not), and no
    # notification.failed.
    expected = {(nid, "inbox") for nid in notification_ids} | {
        (d.notification_id, "email") for d in deliveries if d.channel == "email"
    }

    def announced() -> set[tuple[str, str]]:
        return {
            (str(e.data["notification_id"]), str(e.data["channel"]))
            for e in tap.events
            if e.tenant_id == tenant and e.type == DELIVERED
        }

    async def all_announced() -> bool:
        return expected <= announced()

    await eventually(all_announced, timeout=WAIT, interval=0.25)
    assert announced() == expected, "notification.delivered for something not delivered"
    assert not [e for e in tap.events if e.tenant_id == tenant and e.type == FAILED]

    assert await processed(database, stream) == len(stream.events), "one mark per event"
    return NotificationsState(inbox, emails, webhooks, tuple(deliveries))


def _counted(name: str, want: Counter[Any], got: Counter[Any]) -> list[str]:
    return [f"missing {name} {e} x{n}" for e, n in (want - got).items()] + [
        f"extra {name} {e} x{n}" for e, n in (got - want).items()
    ]


def differences(expected: NotificationsState, actual: NotificationsState) -> list[str]:
    """What a faulted run has more or less than the clean pass, line by line."""
    return (
        _counted("inbox entry", expected.inbox, actual.inbox)
        + _counted("email", expected.emails, actual.emails)
        + _counted("webhook of event", expected.webhooks, actual.webhooks)
    )


def assert_like_clean_pass(expected: NotificationsState, actual: NotificationsState) -> None:
    diff = differences(expected, actual)
    assert not diff, "state differs from a clean single pass:\n" + "\n".join(diff)


@dataclass
class NotificationsRig:
    """What a notifications scenario works with."""

    kafka: str
    process: ServiceProcess
    database: Connection
    group: str
    topics: tuple[str, ...]
    smtp: SmtpServer
    receiver: WebhookReceiver
    clean: NotificationsState
    run: str
    state_dir: Path
    tap: EventTap

    def stream(self, scenario: str) -> NotificationStream:
        return build_notification_stream(f"t-{scenario}-{self.run}")

    def path(self, stream: NotificationStream) -> str:
        """The tenant's webhook endpoint on the receiver."""
        return f"hooks/{stream.tenant}"

    async def prepare(self, stream: NotificationStream) -> None:
        await prepare_tenant(
            self.process.grpc_address, stream, self.receiver.url(self.path(stream))
        )

    async def publish(self, stream: NotificationStream, start: int, end: int) -> None:
        await publish_events(self.kafka, stream.events[start:end])

    async def deliveries(self, stream: NotificationStream, channel: str) -> list[dict[str, Any]]:
        """The tenant's deliveries of ``channel`` as stored (state and attempt log only:
        scenarios poll this while the service works on the same database)."""
        cursor = await self.database.execute(
            "SELECT state, log FROM deliveries WHERE tenant_id = %s AND channel = %s",
            (stream.tenant, channel),
        )
        return [{"state": row[0], "log": row[1]} for row in await cursor.fetchall()]

    def replica(self) -> ServiceProcess:
        """A second process of the service (same database, consumer group and settings,
        its own ports and log): another replica of the Deployment, not started yet."""
        return ServiceProcess.create(
            self.state_dir / f"replica-{uuid.uuid4().hex[:6]}",
            self.kafka,
            "notifications",
            self.process.overrides,
        )

    async def audit(self, stream: NotificationStream) -> NotificationsState:
        await wait_settled(self.database, stream)
        await wait_caught_up(self.kafka, self.group, self.topics)
        return await notifications_state(
            self.process.grpc_address,
            self.database,
            stream,
            self.smtp,
            self.receiver,
            self.path(stream),
            self.tap,
        )


@contextlib.asynccontextmanager
async def open_notifications_rig(
    kafka: str, postgres_admin_dsn: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[NotificationsRig]:
    """Notifications started with its own database and consumer group, SMTP and the
    webhook receiver up, and its clean pass done; all stopped and dropped after."""
    run = uuid.uuid4().hex[:8]
    group = f"agora-notifications-faults-{run}"
    # Notifications consumes every platform topic (one group for every type).
    topics = tuple(sorted(load_platform_events().topics()))
    await start_group_at_end(kafka, group, list(topics))
    smtp = SmtpServer()
    smtp.start()
    receiver = WebhookReceiver()
    await receiver.start()
    state_dir: Path = tmp_path_factory.mktemp("faults-notifications")
    postgres_name, postgres_dsn = await create_test_database(
        postgres_admin_dsn, prefix="faults_notif"
    )
    process = ServiceProcess.create(
        state_dir,
        kafka,
        "notifications",
        {
            f"{PREFIX}POSTGRES_DSN": postgres_dsn,
            f"{PREFIX}POSTGRES_MIGRATE_ON_START": "true",
            f"{PREFIX}CONSUMER_GROUP": group,
            f"{PREFIX}SMTP_HOST": "127.0.0.1",
            f"{PREFIX}SMTP_PORT": str(smtp.port),
            f"{PREFIX}SMTP_TIMEOUT_SECONDS": str(SEND_TIMEOUT),
            f"{PREFIX}WEBHOOK_TIMEOUT_SECONDS": str(SEND_TIMEOUT),
            f"{PREFIX}WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true",
            # The shortest lease the settings allow (> 2 x the send timeouts), and one
            # send at a time: a slow relay then makes each worker's queue outlast it.
            f"{PREFIX}DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
            f"{PREFIX}DELIVERY_CONCURRENCY": "1",
            f"{PREFIX}DELIVERY_POLL_INTERVAL_MS": "100",
            f"{PREFIX}DELIVERY_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
            # Seconds instead of the production 30 s … 1 h: an outage of a few seconds
            # sees several failed attempts, and the retry after it comes within 3 s.
            f"{PREFIX}DELIVERY_BACKOFF_SECONDS": "0.3",
            f"{PREFIX}DELIVERY_BACKOFF_MAX_SECONDS": "3",
            # Not under test here (each statement is one more write per event).
            f"{PREFIX}XAPI_ENABLED": "false",
            # No reminders or nudges: the stream starts no work, but keep ticks quiet.
            f"{PREFIX}SCHEDULER_INTERVAL_SECONDS": "3600",
            f"{PREFIX}CONSUMER_RETRY_BACKOFF_MS": "20",
            f"{PREFIX}CONSUMER_RETRY_BACKOFF_MAX_MS": "500",
            f"{PREFIX}OUTBOX_POLL_INTERVAL_MS": "250",
            f"{PREFIX}SHUTDOWN_GRACE_SECONDS": "20",
            f"{PREFIX}LOG_LEVEL": "WARNING",
        },
    )
    database: Connection = await psycopg.AsyncConnection.connect(
        dsn_for_database(postgres_admin_dsn, postgres_name), autocommit=True
    )
    try:
        async with tapping(kafka, [DELIVERIES_TOPIC]) as tap:
            await process.start()
            reference = build_notification_stream(f"t-clean-{run}")
            path = f"hooks/{reference.tenant}"
            await prepare_tenant(process.grpc_address, reference, receiver.url(path))
            await publish_events(kafka, reference.events)
            await wait_settled(database, reference)
            await wait_caught_up(kafka, group, topics)
            clean = await notifications_state(
                process.grpc_address, database, reference, smtp, receiver, path, tap
            )
            # The oracle must be worth comparing with: every category, people with and
            # without email, self-notifications left out, filtered webhooks, no retries.
            categories = {category for _, category, _, _, _ in clean.inbox}
            assert categories == {
                "submission_reviewed",
                "comment_posted",
                "answer_posted",
                "badge_awarded",
                "mention",
            }, categories
            assert 0 < sum(clean.emails.values()) < sum(clean.inbox.values())
            assert sum(clean.inbox.values()) < len(reference.events) - len(
                [e for e in reference.events if "like" in e.headers["ce_type"]]
            ), "some events concern their own author and notify nobody"
            assert set(clean.webhooks) == reference.webhooked()
            assert all(not d.failures for d in clean.deliveries), "a clean pass needs no retry"
            yield NotificationsRig(
                kafka, process, database, group, topics, smtp, receiver, clean, run, state_dir, tap
            )
    except BaseException:
        print(f"--- notifications log tail ---\n{process.tail()}")
        raise
    finally:
        if process.pid is not None:
            await process.stop()
        await receiver.stop()
        smtp.stop()
        await database.close()
        await drop_test_database(postgres_admin_dsn, postgres_name)
