"""Wiring: the only place that knows every concrete class of the service."""

from __future__ import annotations

from datetime import timedelta

from agora.notifications.v1 import notifications_pb2_grpc
from agora_contracts.events.schemas import load_platform_events
from agora_core.background import PeriodicTask
from agora_core.grpc.server import ServiceRegistration, create_grpc_server
from agora_core.privacy import ErasedCallerVerifier, PersonEraser, with_erasure
from agora_core.runtime import ServiceRuntime
from agora_notifications.adapters.collections import (
    DELIVERIES,
    INDEXES,
    NOTIFICATIONS,
    OUTBOX_COLLECTIONS,
)
from agora_notifications.adapters.email_rendering import EmailRenderer
from agora_notifications.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_notifications.adapters.profiles import People, Preferences
from agora_notifications.adapters.smtp import SmtpSender
from agora_notifications.adapters.webhook_deliveries import MongoPendingWebhookDeliveries
from agora_notifications.adapters.webhooks import AddressGuard, WebhookSender
from agora_notifications.domain.unsubscribe import UnsubscribeRequest
from agora_notifications.entrypoints.events import event_handlers
from agora_notifications.entrypoints.grpc_api import POLICY, SERVICE_NAME, NotificationsServicer
from agora_notifications.entrypoints.public_http import PublicHttp
from agora_notifications.entrypoints.xapi_events import with_xapi_projection
from agora_notifications.service_layer import preferences as preference_cases
from agora_notifications.service_layer.delivery import DeliveryWorker
from agora_notifications.service_layer.erasure import ERASURE_PLAN
from agora_notifications.service_layer.intake import EventIntake
from agora_notifications.service_layer.notifier import Notifier
from agora_notifications.service_layer.ports import Clock, SystemClock
from agora_notifications.service_layer.scheduler import ReminderPolicy, Scheduler
from agora_notifications.service_layer.webhook_routing import SubscriptionCache
from agora_notifications.service_layer.webhook_subscriptions import WebhookSubscriptionCases
from agora_notifications.service_layer.xapi_projector import (
    XAPI_STATEMENTS,
    XapiProjector,
    xapi_retention,
)
from agora_notifications.settings import NotificationsSettings
from agora_notifications.webhook_database import WebhookDatabase


class NotificationsRuntime(ServiceRuntime):
    """The shared runtime plus this service's background work and public endpoint."""

    worker: DeliveryWorker
    scheduler: Scheduler
    webhook_database: WebhookDatabase
    public_http: PublicHttp
    webhook_sender: WebhookSender
    clock: Clock
    xapi_projector: XapiProjector | None = None
    xapi_retention: PeriodicTask | None = None

    async def start(self) -> None:
        await self.webhook_database.start()
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
        await self.webhook_database.stop()


async def build(
    settings: NotificationsSettings, clock: Clock | None = None
) -> NotificationsRuntime:
    """Build the service; tests pass a controllable ``clock``."""
    clock = clock or SystemClock()
    registry = load_platform_events()
    runtime = NotificationsRuntime(
        settings,
        indexes=INDEXES,
        outbox_collections=[*OUTBOX_COLLECTIONS, XAPI_STATEMENTS],
        registry=registry,
    )
    database = runtime.database
    webhook_database = WebhookDatabase(settings)
    webhook_uow = PostgresUnitOfWorkFactory(webhook_database.database)
    people = People(database)
    preferences = Preferences(database)
    renderer = EmailRenderer()
    guard = AddressGuard(allow_private=settings.webhook_allow_private_addresses)
    webhook_sender = WebhookSender(
        webhook_uow,
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
    worker = DeliveryWorker(
        database,
        {"email": smtp, "webhook": webhook_sender},
        clock=clock,
        relay=runtime.relay,
        batch_size=settings.delivery_batch_size,
        concurrency=settings.delivery_concurrency,
        lease=timedelta(seconds=settings.delivery_lease_seconds),
        max_attempts=settings.delivery_max_attempts,
        backoff_seconds=settings.delivery_backoff_seconds,
        backoff_max_seconds=settings.delivery_backoff_max_seconds,
        poll_interval=settings.delivery_poll_interval_ms / 1000,
    )
    secret = settings.unsubscribe_key()
    notifier = Notifier(
        database,
        people=people,
        preferences=preferences,
        renderer=renderer,
        worker=worker,
        relay=runtime.relay,
        public_base_url=settings.public_base_url,
        unsubscribe_secret=secret,
        digest_hour=settings.digest_hour,
    )
    subscriptions = SubscriptionCache(webhook_uow, ttl=5.0)
    inactivity = timedelta(hours=settings.reminder_inactivity_hours)
    intake = EventIntake(
        database,
        notifier=notifier,
        people=people,
        subscriptions=subscriptions,
        clock=clock,
        worker=worker,
        reminder_inactivity=inactivity,
    )
    scheduler = Scheduler(
        database,
        notifier=notifier,
        people=people,
        renderer=renderer,
        clock=clock,
        worker=worker,
        policy=ReminderPolicy(
            inactivity=inactivity,
            factor=settings.reminder_backoff_factor,
            max_count=settings.reminder_max_count,
            due_soon=timedelta(hours=settings.assignment_due_soon_hours),
        ),
        nudge_max_minutes=settings.nudge_max_minutes,
        interval=settings.scheduler_interval_seconds,
    )

    async def unsubscribe(request: UnsubscribeRequest) -> bool:
        return await preference_cases.unsubscribe_email(preferences, request, clock.now())

    runtime.worker = worker
    runtime.webhook_database = webhook_database
    runtime.scheduler = scheduler
    runtime.webhook_sender = webhook_sender
    runtime.clock = clock
    runtime.public_http = PublicHttp(
        settings.public_host, settings.public_port, secret, unsubscribe
    )
    handlers = event_handlers(registry, intake)
    if settings.xapi_enabled:
        projector = XapiProjector(
            database,
            profiles=settings.xapi_profiles(),
            registry=registry,
            clock=clock,
            relay=runtime.relay,
        )
        handlers = with_xapi_projection(handlers, registry, projector)
        runtime.xapi_projector = projector
        runtime.xapi_retention = xapi_retention(
            projector, clock, timedelta(minutes=settings.xapi_retention_minutes)
        )
    # The erasure guard wraps everything, the xAPI projection included, so a late
    # event naming an erased person produces neither a notification nor a statement.
    eraser = PersonEraser(database, ERASURE_PLAN)
    runtime.add_consumer(
        *with_erasure(registry.topics(), handlers, eraser, per_person_records=True)
    )
    servicer = NotificationsServicer(
        {
            NOTIFICATIONS: database[NOTIFICATIONS],
            DELIVERIES: database[DELIVERIES],
        },
        people=people,
        preferences=preferences,
        webhooks=WebhookSubscriptionCases(
            webhook_uow,
            guard=guard,
            cache=subscriptions,
            pinger=webhook_sender,
            pending=MongoPendingWebhookDeliveries(database),
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
            verifier=ErasedCallerVerifier(settings, eraser.tombstones),
            service_names=[SERVICE_NAME],
        )
    )
    return runtime
