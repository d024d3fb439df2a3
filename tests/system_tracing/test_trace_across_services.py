"""One completion followed across the four services as ONE connected trace.

The four services run in-process on the real broker and databases (each its own
database and consumer group, started at the end of the topics), every span recorded in
memory by one tracer provider (the services share the process, so the provider is
theirs too). A traced client completes an item in catalog; the completion travels on
Kafka to gamification (points), whose points event travels to notifications, which
delivers it to a webhook receiver on loopback. Every span of that story must be in
the client's trace, each one's parent among them.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc.aio
import pytest
from aiosmtpd.controller import Controller
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agora.catalog.v1 import catalog_pb2 as cat
from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceStub
from agora.notifications.v1 import notifications_pb2 as notif
from agora.notifications.v1.notifications_pb2_grpc import NotificationsServiceStub
from agora_catalog.bootstrap import build as build_catalog
from agora_catalog.settings import CatalogSettings
from agora_community.bootstrap import build as build_community
from agora_community.settings import CommunitySettings
from agora_contracts.events.schemas import load_platform_events
from agora_core.grpc.client import tracing_interceptors
from agora_core.ports import free_port
from agora_core.runtime import ServiceRuntime
from agora_core.testing import eventually
from agora_core.testing.event_tap import start_group_at_end
from agora_core.testing.grpc_assertions import caller
from agora_core.testing.postgres import (
    create_test_database,
    drop_test_database,
    scratch_database,
)
from agora_core.testing.service_harness import running_service, test_settings
from agora_core.testing.webhook_receiver import WebhookReceiver
from agora_core.tracing import installed, tracer
from agora_gamification.bootstrap import build as build_gamification
from agora_gamification.settings import GamificationSettings
from agora_notifications.bootstrap import build as build_notifications
from agora_notifications.settings import NotificationsSettings

if TYPE_CHECKING:
    from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceAsyncStub
    from agora.notifications.v1.notifications_pb2_grpc import NotificationsServiceAsyncStub

pytestmark = pytest.mark.system

WAIT = 180.0
COMPLETED = "org.agora.learning.knowledge.completed.v1"
POINTS = "org.agora.gamification.points.awarded.v1"


class Mailbox:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        return "250 OK"


@dataclass
class Platform:
    catalog: CatalogServiceAsyncStub
    notifications: NotificationsServiceAsyncStub
    spans: InMemorySpanExporter
    receiver: WebhookReceiver
    groups: dict[str, str]


@pytest.fixture(scope="module")
async def platform(kafka_bootstrap: str, postgres_admin_dsn: str) -> AsyncIterator[Platform]:
    run = uuid.uuid4().hex[:8]
    # The catalog is on PostgreSQL: a database of its own.
    catalog_database = scratch_database(postgres_admin_dsn, f"sys_tracing_catalog_{run}")
    catalog_dsn = await catalog_database.__aenter__()
    smtp = Controller(Mailbox(), hostname="127.0.0.1", port=free_port())
    smtp.start()
    receiver = WebhookReceiver()
    await receiver.start()
    public_port = free_port()
    # Community is on PostgreSQL: a database of its own on the test server.
    community_database, community_dsn = await create_test_database(
        postgres_admin_dsn, prefix="sys_tracing_community"
    )

    def settings_of(cls: type[Any], service: str, **extra: object) -> Any:
        return test_settings(
            cls,
            kafka=kafka_bootstrap,
            consumer_group=f"agora-{service}-system-tracing-{run}",
            **extra,
        )

    gamification_database, gamification_dsn = await create_test_database(
        postgres_admin_dsn, prefix="sys_tracing_gamification"
    )
    notifications_database, notifications_dsn = await create_test_database(
        postgres_admin_dsn, prefix="sys_tracing_notifications"
    )
    settings = {
        "catalog": settings_of(CatalogSettings, "catalog", postgres_dsn=catalog_dsn),
        "community": test_settings(
            CommunitySettings,
            kafka=kafka_bootstrap,
            postgres_dsn=community_dsn,
            consumer_group=f"agora-community-system-tracing-{run}",
        ),
        # Gamification is on PostgreSQL: a database of its own on the test server.
        "gamification": settings_of(
            GamificationSettings, "gamification", postgres_dsn=gamification_dsn
        ),
        "notifications": settings_of(
            NotificationsSettings,
            "notifications",
            postgres_dsn=notifications_dsn,
            smtp_port=smtp.port,
            public_port=public_port,
            public_base_url=f"http://127.0.0.1:{public_port}",
            delivery_poll_interval_ms=50,
            scheduler_interval_seconds=3600,
            webhook_allow_private_addresses=True,
        ),
    }
    topics = load_platform_events().topics()
    for service_settings in settings.values():
        await start_group_at_end(kafka_bootstrap, service_settings.group_id, topics)
    exporter = InMemorySpanExporter()
    provider = TracerProvider()  # parentbased_always_on: every trace recorded
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        with installed(provider):
            async with contextlib.AsyncExitStack() as stack:
                runtimes: dict[str, ServiceRuntime] = {}
                for name, build in (
                    ("catalog", build_catalog),
                    ("community", build_community),
                    ("gamification", build_gamification),
                    ("notifications", build_notifications),
                ):
                    runtimes[name] = await stack.enter_async_context(
                        running_service(build, settings[name])
                    )
                channels = {
                    name: await stack.enter_async_context(
                        grpc.aio.insecure_channel(
                            f"127.0.0.1:{runtime.grpc_port}", interceptors=tracing_interceptors()
                        )
                    )
                    for name, runtime in runtimes.items()
                }
                yield Platform(
                    catalog=CatalogServiceStub(channels["catalog"]),
                    notifications=NotificationsServiceStub(channels["notifications"]),
                    spans=exporter,
                    receiver=receiver,
                    groups={name: s.group_id for name, s in settings.items()},
                )
    finally:
        await drop_test_database(postgres_admin_dsn, community_database)
        await drop_test_database(postgres_admin_dsn, gamification_database)
        await drop_test_database(postgres_admin_dsn, notifications_database)
        await catalog_database.__aexit__(None, None, None)
        await receiver.stop()
        smtp.stop()
        provider.shutdown()


async def published_item(p: Platform, tenant: str) -> str:
    admin = caller(("admin",), tenant=tenant, subject="u-admin")
    grace = caller(("contributor",), tenant=tenant, subject="u-grace")
    draft = cat.ItemDraft(
        title="Tracing explained",
        language="en",
        estimated_minutes=5,
        wiki=cat.WikiContent(markdown="Follow **one** request."),
    )
    item = (await p.catalog.CreateItem(cat.CreateItemRequest(item=draft), metadata=grace)).item
    await p.catalog.SubmitItem(cat.SubmitItemRequest(item_id=item.item_id), metadata=grace)
    await p.catalog.ClaimReview(cat.ClaimReviewRequest(item_id=item.item_id), metadata=admin)
    await p.catalog.ReviewItem(
        cat.ReviewItemRequest(item_id=item.item_id, decision=cat.REVIEW_DECISION_APPROVED),
        metadata=admin,
    )
    return item.item_id


def _hex(span_id: int) -> str:
    return f"{span_id:016x}"


async def test_one_completion_is_one_trace_across_the_four_services(platform: Platform) -> None:
    p = platform
    tenant = f"trace-{uuid.uuid4().hex[:6]}"
    admin = caller(("admin",), tenant=tenant, subject="u-admin")
    ada = caller(("learner",), tenant=tenant, subject="u-ada")
    await p.notifications.CreateWebhookSubscription(
        notif.CreateWebhookSubscriptionRequest(url=p.receiver.url("hook"), event_types=[POINTS]),
        metadata=admin,
    )
    item = await published_item(p, tenant)
    await p.catalog.StartItem(cat.StartItemRequest(item_id=item), metadata=ada)
    with tracer().start_as_current_span("ada finishes the item") as root:
        await p.catalog.CompleteItem(cat.CompleteItemRequest(item_id=item), metadata=ada)
    trace_id = root.get_span_context().trace_id

    def in_trace() -> list[ReadableSpan]:
        return [
            s
            for s in p.spans.get_finished_spans()
            if s.context is not None and s.context.trace_id == trace_id
        ]

    def orphans_of(spans: list[ReadableSpan]) -> list[str]:
        ids = {_hex(s.context.span_id) for s in spans if s.context is not None}
        return [s.name for s in spans if s.parent is not None and _hex(s.parent.span_id) not in ids]

    async def delivered() -> bool:
        # The relay's publish span ends when the broker acknowledges, which can be after
        # a consumer already read the record: wait for both ends of the points event.
        # A span ends after its children: a statement's span is finished while its
        # batch's span may still be open, so wait until every parent has ended too (a
        # span whose parent never arrives is an orphan, and the wait times out on it).
        spans = in_trace()
        names = {s.name for s in spans}
        done = {"POST webhook", "publish agora.gamification.points.v1"} <= names
        return done and not orphans_of(spans)

    with contextlib.suppress(AssertionError):  # judged below, with the names shown
        await eventually(delivered, timeout=WAIT)
    spans = in_trace()
    names = sorted(s.name for s in spans)
    orphans = orphans_of(spans)
    assert {"POST webhook", "publish agora.gamification.points.v1"} <= set(names), names
    roots = [s.name for s in spans if s.parent is None]
    assert roots == ["ada finishes the item"], names
    assert orphans == [], names  # every span's parent is in the trace: one tree

    def consumed(event_type: str, service: str) -> bool:
        # One event's span, or the span of a set handler's run ("process <type> x<n>").
        return any(
            (s.name == f"process {event_type}" or s.name.startswith(f"process {event_type} x"))
            and (s.attributes or {}).get("messaging.consumer.group.name") == p.groups[service]
            for s in spans
        )

    assert "agora.catalog.v1.CatalogService/CompleteItem" in names
    assert consumed(COMPLETED, "gamification"), names
    assert consumed(POINTS, "notifications"), names
    assert "publish agora.gamification.points.v1" in names
    # The webhook of the completion's points carries the trace (other points — for
    # starting the item — belong to the StartItem call's trace).
    hooks = [r for r in p.receiver.accepted_at("hook") if r.headers.get("ce-type") == POINTS]
    traces = {h.headers["ce-traceparent"].split("-")[1] for h in hooks}
    assert f"{trace_id:032x}" in traces, traces
