"""One service process: its database, Kafka consumers, outbox relay, gRPC server, HTTP
side port.

A runtime stores in PostgreSQL (its schema given by ``migrations``): a connection
pool, the ``outbox`` table and its relay, and batch consumers
(:meth:`ServiceRuntime.add_batch_consumer`) that handle a poll per transaction.

A service's ``bootstrap`` builds a :class:`ServiceRuntime`, adds its consumers and its
gRPC server, and calls :meth:`ServiceRuntime.run`. Shutdown on SIGTERM follows the
order ops expect: report not-ready, stop accepting calls, let in-flight handlers
finish and commit, flush the outbox, close connections, exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Mapping, Sequence
from typing import Protocol

import structlog

from agora_contracts.events import EventRegistry
from agora_contracts.events.registry import REGISTRY
from agora_core.http_port import HttpSidePort, NotReady, ReadinessCheck
from agora_core.long_running.runner import OperationRunner
from agora_core.messaging.batch_consumer import (
    BatchEventConsumer,
    BatchEventHandler,
    EventSetHandler,
)
from agora_core.messaging.dead_letters import dlq_topic
from agora_core.messaging.group_member import RetryPolicy
from agora_core.messaging.kafka_connection import KafkaConnection, create_broker
from agora_core.messaging.kafka_security import client_options
from agora_core.messaging.publisher import EventPublisher
from agora_core.operations import Operations
from agora_core.postgres import Database, create_pool
from agora_core.postgres import ping as postgres_ping
from agora_core.postgres.channel_watch import ChannelWatch, Listener
from agora_core.postgres.migrations import Migrations
from agora_core.postgres.operations_table import PostgresOperations
from agora_core.postgres.outbox_relay import PostgresOutboxRelay
from agora_core.postgres.startup import migrate_when_reachable, purge_marks_periodically
from agora_core.privacy.callers import ErasedCallerVerifier, ErasedLookup
from agora_core.privacy.postgres import ERASED_CHANNEL
from agora_core.settings import ServiceSettings
from agora_core.topics.presence import TopicPresence

log = structlog.get_logger(__name__)

TOPICS_RECHECK_SECONDS = 2.0
"""How often a service waiting for its topics asks the brokers again."""


class ApiServer(Protocol):
    """What the runtime needs of the gRPC server (``agora_core.grpc.GrpcServer``)."""

    @property
    def port(self) -> int: ...

    async def start(self) -> None: ...

    async def stop(self, grace: float | None) -> None: ...

    def attach_operations(self, operations: Operations) -> None: ...


class ServiceRuntime:
    """Owns the connections and background work of one service process."""

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        migrations: Migrations,
        registry: EventRegistry = REGISTRY,
    ) -> None:
        self.settings = settings
        self.service = settings.service_name
        self.registry = registry
        self.broker: KafkaConnection = create_broker(
            settings.kafka_bootstrap_servers,
            client_id=f"agora-{self.service}",
            options=client_options(settings),
        )
        self.publisher = EventPublisher(self.broker, service=self.service)
        self.migrations = migrations
        self.postgres, self.postgres_relay = self._postgres(settings)
        self._background: list[asyncio.Task[None]] = []
        self.consumers: list[BatchEventConsumer] = []
        self.operation_runner = OperationRunner(
            PostgresOperations(self.postgres),
            lease_seconds=settings.operation_lease_seconds,
            progress_seconds=settings.operation_progress_seconds,
        )
        self.operations = Operations(
            service=self.service,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            kafka_options=client_options(settings),
            registry=registry,
            publisher=self.publisher,
            consumers=self.consumers,
            operator_tenant=settings.operator_tenant,
            runner=self.operation_runner,
        )
        self.api: ApiServer | None = None
        self.grpc_port: int | None = None
        pool = self.postgres.pool
        checks: dict[str, ReadinessCheck] = {
            "postgres": lambda: postgres_ping(pool),
            "kafka": self._kafka_ready,
            "topics": self._topics_ready,
        }
        self.http = HttpSidePort(settings.http_host, settings.http_port, checks)
        self.topics: TopicPresence | None = None
        self._stopped = asyncio.Event()
        self._stop_requested = asyncio.Event()
        self._broker_started = False

    def _retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_attempts=self.settings.consumer_max_attempts,
            backoff_ms=self.settings.consumer_retry_backoff_ms,
            backoff_max_ms=self.settings.consumer_retry_backoff_max_ms,
        )

    def _postgres(self, settings: ServiceSettings) -> tuple[Database, PostgresOutboxRelay]:
        dsn = settings.postgres_dsn.get_secret_value()
        pool = create_pool(
            dsn,
            application_name=f"agora-{self.service}",
            min_size=settings.postgres_pool_min_size,
            max_size=settings.postgres_pool_max_size,
            timeout=settings.postgres_pool_timeout_seconds,
        )
        listen = settings.postgres_listen_dsn
        # One connection of its own follows every channel the process watches.
        self.listener = Listener(
            listen.get_secret_value() if listen is not None else dsn,
            name=f"{self.service}-listen",
        )
        relay = PostgresOutboxRelay(
            pool,
            self.publisher,
            service=self.service,
            listener=self.listener if settings.outbox_relay_enabled else None,
            poll_interval=settings.outbox_poll_interval_ms / 1000,
            batch_size=settings.outbox_batch_size,
        )
        return Database(pool, on_outbox=relay.notify), relay

    def require_postgres(self) -> Database:
        """The service's PostgreSQL database."""
        return self.postgres

    def watch_channel(self, channel: str) -> ChannelWatch:
        """NOTIFY on ``channel``, followed from the service's start to its stop on the
        process's one LISTEN connection (``postgres_listen_dsn``); before start."""
        return self.listener.watch(channel)

    def erased_caller_verifier(self, tombstones: ErasedLookup) -> ErasedCallerVerifier:
        """The gRPC token verifier that refuses erased callers; it remembers who is not
        erased while this runtime follows the tombstones' channel."""
        return ErasedCallerVerifier(
            self.settings, tombstones, watch=self.watch_channel(ERASED_CHANNEL)
        )

    def add_batch_consumer(
        self,
        topics: Sequence[str],
        handlers: Mapping[str, BatchEventHandler],
        set_handlers: Mapping[str, EventSetHandler] | None = None,
    ) -> BatchEventConsumer:
        """Subscribe this service's group to ``topics``; a poll's events per transaction.

        ``handlers`` take one event, ``set_handlers`` every new event of a run of their
        type at once (one statement per batch instead of one per event).
        """
        consumer = BatchEventConsumer(
            self.broker,
            service=self.service,
            group_id=self.settings.group_id,
            topics=topics,
            handlers=handlers,
            registry=self.registry,
            database=self.require_postgres(),
            set_handlers=set_handlers,
            publisher=self.publisher,
            retry=self._retry_policy(),
            max_records=self.settings.consumer_max_records,
            batches_in_flight=self.settings.consumer_batches_in_flight,
            per_tenant_metrics=self.settings.metrics_per_tenant,
        )
        self.consumers.append(consumer)
        return consumer

    def set_api(self, api: ApiServer) -> None:
        """Serve ``api``; it also answers the operators' RPCs over this runtime."""
        self.api = api
        api.attach_operations(self.operations)

    async def _kafka_ready(self) -> bool:
        return all(consumer.assignment for consumer in self.consumers)

    def required_topics(self) -> list[str]:
        """Topics this process needs: its registry's (what it publishes), those its
        consumers read, and their dead-letter topics."""
        consumed = {topic for consumer in self.consumers for topic in consumer.topics}
        return sorted(
            set(self.registry.topics()) | consumed | {dlq_topic(topic) for topic in consumed}
        )

    async def _topics_ready(self) -> bool | NotReady:
        if self.topics is None:
            return NotReady("not started")
        missing = await self.topics.missing()
        if missing:
            return NotReady("missing topics: " + ", ".join(missing))
        return True

    async def start(self) -> None:
        """Serve the side port, prepare the database, wait for the topics, then start
        the consumers, relay and gRPC.

        The side port comes first: while the database is unreachable or a topic is
        missing, ``/healthz`` says alive and ``/readyz`` names what fails (one warning
        line at start says the same). The broker never creates a topic, and a consumer
        cannot start on a missing one. Returns early (nothing else started) if a stop
        is requested while waiting for topics; a broker that cannot be reached or
        refuses the login fails start-up.
        """
        await self.http.start()
        if not await self._start_postgres(self.postgres):
            return
        self.topics = TopicPresence(
            self.settings, self.required_topics(), client_id=f"agora-{self.service}-topics"
        )
        if not await self._wait_for_topics(self.topics):
            return
        await self.broker.start()
        self._broker_started = True
        if self.settings.outbox_relay_enabled:
            self.postgres_relay.start()
        if self.api is not None:
            await self.api.start()
            self.grpc_port = self.api.port
        self.http.accepting = True
        # The start-up heap (modules, classes, descriptors: about 150,000 objects) lives
        # as long as the process. Frozen, the collector's full passes no longer walk it:
        # each took 41-56 ms here, paid by whichever call was running (the slowest
        # pages of bench/catalog.py). Garbage made so far is collected first.
        gc.collect()
        gc.freeze()
        log.info(
            "service started",
            grpc_port=self.grpc_port,
            http_port=self.http.port,
            consumers=len(self.consumers),
        )

    async def _start_postgres(self, database: Database) -> bool:
        """Open the pool and (in development) migrate; False if a stop came first."""
        # The pool connects in the background: a database that is down at start makes
        # the service not ready (readyz) and calls UNAVAILABLE until it answers.
        await database.pool.open(wait=False)
        if self.settings.postgres_migrate_on_start:
            migrating = asyncio.create_task(
                migrate_when_reachable(
                    self.migrations, self.settings.postgres_dsn.get_secret_value()
                )
            )
            stopping = asyncio.create_task(self._stop_requested.wait())
            await asyncio.wait({migrating, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not migrating.done():
                # SIGTERM while the database is unreachable: stop now, not when it answers.
                migrating.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await migrating
                return False
            migrating.result()  # a broken migration fails start-up
        self.listener.start()
        retention = self.settings.processed_events_retention_hours
        self._background.append(
            asyncio.create_task(purge_marks_periodically(database.pool, retention))
        )
        return True

    async def _wait_for_topics(self, topics: TopicPresence) -> bool:
        """True once every required topic exists; False if a stop came first."""
        missing = await topics.missing()
        if not missing:
            return True
        # Said once, plainly, with what an operator must run; /readyz keeps the list.
        log.warning(
            "topics missing, not ready until they exist: run "
            "`python -m agora_core.topics apply` (or `agora topics apply`)",
            missing_topics=missing,
        )
        while missing:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_requested.wait(), TOPICS_RECHECK_SECONDS)
            if self._stop_requested.is_set():
                return False
            missing = await topics.missing()
        log.info("topics present, starting", topics=len(topics.required))
        return True

    def request_stop(self) -> None:
        """Ask :meth:`run` to stop (what SIGTERM does); also ends a wait for topics."""
        self._stop_requested.set()

    async def stop(self) -> None:
        """Graceful stop; safe to call twice."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self.http.accepting = False
        grace = self.settings.shutdown_grace_seconds
        if self.api is not None:
            await self.api.stop(grace)
        # Before the broker and pool close: each running operation is written ABORTED.
        await self.operation_runner.stop()
        if self._broker_started:
            for consumer in self.consumers:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(consumer.drain(), timeout=grace or None)
            await self.postgres_relay.stop(flush=self.settings.outbox_relay_enabled)
            await self.broker.stop()
        for task in self._background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.listener.stop()
        await self.postgres.pool.close()
        gc.unfreeze()  # a process that goes on (a test) collects them again
        if self.topics is not None:
            await self.topics.close()
        await self.http.stop()
        log.info("service stopped")

    async def run(self) -> None:
        """Start, then serve until SIGTERM or SIGINT, then stop gracefully."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        try:
            await self.start()
        except Exception as error:
            # One line an operator can act on (a refused Kafka login, an unreachable
            # database) instead of a traceback; the orchestrator restarts the process.
            log.error("start-up failed", error=repr(error)[:1000])
            with contextlib.suppress(Exception):
                await self.stop()
            raise StartupFailed(str(error)) from None
        try:
            await self._stop_requested.wait()
            log.info("stop requested")
        finally:
            await self.stop()


class StartupFailed(Exception):
    """The service could not start (logged); the process exits with code 1."""
