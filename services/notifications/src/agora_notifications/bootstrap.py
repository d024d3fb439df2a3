"""Wiring: the only place that knows every concrete class of the service."""

from __future__ import annotations

from datetime import timedelta

from agora.notifications.v1 import notifications_pb2_grpc
from agora_contracts.events.schemas import load_platform_events
from agora_core.background import PeriodicTask
from agora_core.grpc.server import ServiceRegistration, create_grpc_server
from agora_core.privacy.postgres import with_erasure_batch
from agora_core.runtime import ServiceRuntime
from agora_notifications.adapters.email_rendering import EmailRenderer
from agora_notifications.adapters.postgres.erasure import person_eraser
from agora_notifications.adapters.postgres.schedule_queues import PostgresScheduleClaims
from agora_notifications.adapters.postgres.unit_of_work import (
    PostgresDeliveryClaims,
    PostgresUnitOfWorkFactory,
)
from agora_notifications.adapters.smtp import SmtpSender
from agora_notifications.adapters.webhooks import AddressGuard, WebhookSender
from agora_notifications.domain.unsubscribe import UnsubscribeRequest
from agora_notifications.entrypoints.events import event_handlers
from agora_notifications.entrypoints.grpc_api import POLICY, SERVICE_NAME, NotificationsServicer
from agora_notifications.entrypoints.public_http import PublicHttp
from agora_notifications.migrations import MIGRATIONS
from agora_notifications.service_layer import preferences as preference_cases
from agora_notifications.service_layer.claiming_scheduler import (
    ClaimingScheduler,
    SchedulePolicy,
)
from agora_notifications.service_layer.claiming_worker import ClaimingDeliveryWorker, RetryPolicy
from agora_notifications.service_layer.event_intake import Intake, IntakePolicy
from agora_notifications.service_layer.notify import EmailLinks
from agora_notifications.service_layer.ports import Clock, SystemClock
from agora_notifications.service_layer.webhook_routing import SubscriptionCache
from agora_notifications.service_layer.webhook_subscriptions import WebhookSubscriptionCases
from agora_notifications.service_layer.xapi_projection import XapiProjection, xapi_retention
from agora_notifications.settings import NotificationsSettings


class NotificationsRuntime(ServiceRuntime):
    """The shared runtime plus this service's background work and public endpoint."""

    worker: ClaimingDeliveryWorker
    scheduler: ClaimingScheduler
    units: PostgresUnitOfWorkFactory
    public_http: PublicHttp
    webhook_sender: WebhookSender
    clock: Clock
    xapi_projection: XapiProjection | None = None
    xapi_retention: PeriodicTask | None = None

    async def start(self) -> None:
        await super().start()
        await self.public_http.start()
        self.worker.start()
        self.scheduler.start()
        if self.xapi_retention is not None:
            self.xapi_retention.start()

    async def stop(self) -> None:
        if self.xapi_retention is not None:
            await self.xapi_retention.stop()
        await self.scheduler.stop()
        await self.worker.stop()
        await self.public_http.stop()
        await self.webhook_sender.close()
        await super().stop()


async def build(
    settings: NotificationsSettings, clock: Clock | None = None
) -> NotificationsRuntime:
    """Build the service; tests pass a controllable ``clock``."""
    clock = clock or SystemClock()
    registry = load_platform_events()
    runtime = NotificationsRuntime(settings, migrations=MIGRATIONS, registry=registry)
    database = runtime.require_postgres()
    units = PostgresUnitOfWorkFactory(database)
    renderer = EmailRenderer()
    guard = AddressGuard(allow_private=settings.webhook_allow_private_addresses)
    webhook_sender = WebhookSender(
        units,
        guard,
        timeout=settings.webhook_timeout_seconds,
        pause_hold=timedelta(hours=settings.webhook_pause_hold_hours),
        pause_recheck=timedelta(seconds=settings.webhook_pause_recheck_seconds),
    )
    smtp = SmtpSender(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.email_from,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        use_tls=settings.smtp_use_tls,
        start_tls=settings.smtp_starttls,
        timeout=settings.smtp_timeout_seconds,
    )
    lease = timedelta(seconds=settings.delivery_lease_seconds)
    worker = ClaimingDeliveryWorker(
        units,
        PostgresDeliveryClaims(database),
        {"email": smtp, "webhook": webhook_sender},
        clock=clock,
        policy=RetryPolicy(
            max_attempts=settings.delivery_max_attempts,
            backoff_seconds=settings.delivery_backoff_seconds,
            backoff_max_seconds=settings.delivery_backoff_max_seconds,
            lease=lease,
        ),
        concurrency=settings.delivery_concurrency,
        batch_size=settings.delivery_batch_size,
        poll_interval=settings.delivery_poll_interval_ms / 1000,
    )
    secret = settings.unsubscribe_key()
    links = EmailLinks(settings.public_base_url, secret)
    inactivity = timedelta(hours=settings.reminder_inactivity_hours)
    due_soon = timedelta(hours=settings.assignment_due_soon_hours)
    subscriptions = SubscriptionCache(units, ttl=5.0)
    intake = Intake(
        renderer=renderer,
        links=links,
        subscriptions=subscriptions,
        clock=clock,
        worker=worker,
        policy=IntakePolicy(
            reminder_inactivity=inactivity, due_soon=due_soon, digest_hour=settings.digest_hour
        ),
    )
    runtime.scheduler = ClaimingScheduler(
        units,
        PostgresScheduleClaims(database),
        renderer=renderer,
        links=links,
        clock=clock,
        worker=worker,
        policy=SchedulePolicy(
            inactivity=inactivity,
            factor=settings.reminder_backoff_factor,
            max_count=settings.reminder_max_count,
            due_soon=due_soon,
            nudge_max_minutes=settings.nudge_max_minutes,
            digest_hour=settings.digest_hour,
            lease=lease,
        ),
        interval=settings.scheduler_interval_seconds,
    )

    async def unsubscribe(request: UnsubscribeRequest) -> bool:
        return await preference_cases.unsubscribe_email(units, request, clock.now())

    runtime.worker = worker
    runtime.units = units
    runtime.webhook_sender = webhook_sender
    runtime.clock = clock
    runtime.public_http = PublicHttp(
        settings.public_host, settings.public_port, secret, unsubscribe
    )
    projection = None
    if settings.xapi_enabled:
        projection = XapiProjection(
            profiles=settings.xapi_profiles(), registry=registry, clock=clock
        )
        runtime.xapi_projection = projection
        runtime.xapi_retention = xapi_retention(
            projection, units, clock, timedelta(minutes=settings.xapi_retention_minutes)
        )
    # The erasure guard wraps everything, the xAPI projection included, so a late
    # event naming an erased person produces neither a notification nor a statement.
    eraser = person_eraser(database)
    topics, handlers, set_handlers = with_erasure_batch(
        registry.topics(),
        event_handlers(registry, intake, projection),
        eraser,
        per_person_records=True,
    )
    runtime.add_batch_consumer(topics, handlers, set_handlers=set_handlers)
    servicer = NotificationsServicer(
        units,
        webhooks=WebhookSubscriptionCases(
            units,
            guard=guard,
            cache=subscriptions,
            pinger=webhook_sender,
            clock=clock,
            known_event_types=frozenset(spec.event_type for spec in registry),
            max_subscriptions=settings.webhook_max_subscriptions,
        ),
        clock=clock,
        worker=worker,
    )
    runtime.set_api(
        create_grpc_server(
            settings,
            registrations=[
                ServiceRegistration(
                    notifications_pb2_grpc.add_NotificationsServiceServicer_to_server, servicer
                )
            ],
            policy=POLICY,
            verifier=runtime.erased_caller_verifier(eraser.tombstones),
            service_names=[SERVICE_NAME],
        )
    )
    return runtime
