"""The four services started in-process, once for the whole suite, with known secrets.

Every service gets its own database, its own consumer group (committed at the end of
every platform topic first, so nothing an earlier run left on the broker is replayed)
and secrets that only this run knows, so the log scan can look for them.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import grpc.aio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from grpc_health.v1 import health_pb2, health_pb2_grpc

from agora_catalog.bootstrap import build as build_catalog
from agora_catalog.settings import CatalogSettings
from agora_community.bootstrap import build as build_community
from agora_community.settings import CommunitySettings
from agora_contracts.events import REGISTRY
from agora_contracts.events.schemas import load_platform_events
from agora_core.grpc.client import bearer_metadata
from agora_core.grpc.dev_tokens import mint_dev_token
from agora_core.runtime import ServiceRuntime
from agora_core.settings import ServiceSettings
from agora_core.testing.event_tap import start_group_at_end
from agora_core.testing.postgres import (
    create_test_database,
    drop_test_database,
    scratch_database,
)
from agora_core.testing.service_harness import channel_to, running_service, test_settings
from agora_core.testing.webhook_receiver import WebhookReceiver
from agora_gamification.bootstrap import build as build_gamification
from agora_gamification.settings import GamificationSettings
from agora_notifications.bootstrap import build as build_notifications
from agora_notifications.settings import NotificationsSettings

from .loopback import SmtpServer, free_port

ALL_ROLES = ("learner", "contributor", "expert", "manager", "admin")
Metadata = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class KnownSecrets:
    """Secrets the services are started with; none may ever appear in a log line."""

    jwt_secret: str = field(default_factory=lambda: "jwt-" + secrets.token_urlsafe(32))
    smtp_password: str = field(default_factory=lambda: "smtp-" + secrets.token_urlsafe(18))
    unsubscribe_secret: str = field(default_factory=lambda: "unsub-" + secrets.token_urlsafe(32))
    badge_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )

    @property
    def badge_key_pem(self) -> str:
        return self.badge_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    def fixed(self) -> list[str]:
        """Every configured secret, plus each line of the private key's body."""
        key_lines = [
            line
            for line in self.badge_key_pem.splitlines()
            if line and not line.startswith("-----")
        ]
        return [
            self.jwt_secret,
            self.smtp_password,
            self.unsubscribe_secret,
            *key_lines,
        ]


@dataclass
class ServiceUnderTest:
    """One running service and a channel to it."""

    name: str
    runtime: ServiceRuntime
    channel: grpc.aio.Channel

    @property
    def service_names(self) -> tuple[str, ...]:
        """Full names of the gRPC services it hosts, as its server registered them."""
        api: Any = self.runtime.api
        return tuple(api.service_names)

    async def healthy(self) -> bool:
        """The server answers its health check with SERVING."""
        stub = health_pb2_grpc.HealthStub(self.channel)
        response = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
        return bool(response.status == health_pb2.HealthCheckResponse.SERVING)


@dataclass(repr=False)
class Platform:
    """Everything the suite talks to."""

    kafka: str
    secrets: KnownSecrets
    services: dict[str, ServiceUnderTest]
    smtp: SmtpServer
    receiver: WebhookReceiver
    issued_tokens: set[str] = field(default_factory=set)
    """Every bearer token the suite sent; the log scan looks for each."""
    learned_secrets: set[str] = field(default_factory=set)
    """Secrets the services handed out during the run (webhook signing secrets)."""

    def __repr__(self) -> str:
        # Short, and without the tokens (hypothesis prints the arguments of a failure).
        return f"Platform({', '.join(self.services)})"

    def token(
        self, tenant: str, roles: Iterable[str] = ALL_ROLES, subject: str = "sec-user"
    ) -> str:
        """A valid token signed with the platform's key (remembered for the log scan)."""
        token = mint_dev_token(self.secrets.jwt_secret, subject, tenant, roles)
        self.issued_tokens.add(token)
        return token

    def caller(
        self, tenant: str, roles: Iterable[str] = ALL_ROLES, subject: str = "sec-user"
    ) -> Metadata:
        """Call metadata of a valid caller."""
        return bearer_metadata(self.token(tenant, roles, subject))

    def channels(self) -> Iterator[tuple[str, grpc.aio.Channel]]:
        """(full gRPC service name, channel to the server hosting it)."""
        for service in self.services.values():
            for name in service.service_names:
                yield name, service.channel


def consumed_topics() -> list[str]:
    """Every platform topic: a group committed at their end never replays old records."""
    return sorted({spec.topic for spec in REGISTRY} | set(load_platform_events().topics()))


@contextlib.asynccontextmanager
async def started(
    name: str,
    build: Callable[[Any], Awaitable[ServiceRuntime]],
    settings: ServiceSettings,
    postgres: tuple[str, str] | None = None,
) -> AsyncIterator[ServiceUnderTest]:
    """Run one service; drop its database afterwards (``postgres``: the admin DSN and the
    database's name, when the caller did not scope the database itself)."""
    await start_group_at_end(settings.kafka_bootstrap_servers, settings.group_id, consumed_topics())
    try:
        async with running_service(build, settings) as runtime, channel_to(runtime) as channel:
            yield ServiceUnderTest(name, runtime, channel)
    finally:
        if postgres is not None:
            await drop_test_database(*postgres)


def settings_for(cls: type[Any], *, kafka: str, known: KnownSecrets, **overrides: object) -> Any:
    """Test settings with this run's secrets, own database and own consumer group."""
    service = str(cls.model_fields["service_name"].default)
    run = uuid.uuid4().hex[:10]
    return test_settings(
        cls,
        kafka=kafka,
        jwt_hs256_secret=known.jwt_secret,
        consumer_group=f"agora-{service}-security-{run}",
        **overrides,
    )


@contextlib.asynccontextmanager
async def running_platform(kafka: str, postgres_admin_dsn: str) -> AsyncIterator[Platform]:
    """All four services, an SMTP server that wants a password and a webhook receiver
    (services on PostgreSQL each get a database of their own)."""
    known = KnownSecrets()
    smtp = SmtpServer(password=known.smtp_password)
    smtp.start()
    receiver = WebhookReceiver()
    await receiver.start()
    common: dict[str, Any] = {"kafka": kafka, "known": known}
    public_port = free_port()
    # Community and gamification are on PostgreSQL: a database of its own each.
    community_database, community_dsn = await create_test_database(
        postgres_admin_dsn, prefix="sec_community"
    )
    gamification_database, gamification_dsn = await create_test_database(
        postgres_admin_dsn, prefix="sec_gamification"
    )
    try:
        async with contextlib.AsyncExitStack() as stack:
            services = {
                "catalog": await stack.enter_async_context(
                    started(
                        "catalog",
                        build_catalog,
                        settings_for(
                            CatalogSettings,
                            **common,
                            postgres_dsn=await stack.enter_async_context(
                                scratch_database(postgres_admin_dsn, "sec_catalog")
                            ),
                        ),
                    )
                ),
                "community": await stack.enter_async_context(
                    started(
                        "community",
                        build_community,
                        settings_for(
                            CommunitySettings,
                            **common,
                            postgres_dsn=community_dsn,
                            rate_limit_likes=1_000_000,
                            rate_limit_posts=1_000_000,
                        ),
                        (postgres_admin_dsn, community_database),
                    )
                ),
                "gamification": await stack.enter_async_context(
                    started(
                        "gamification",
                        build_gamification,
                        settings_for(
                            GamificationSettings,
                            **common,
                            postgres_dsn=gamification_dsn,
                            badge_signing_key_pem=known.badge_key_pem,
                        ),
                        (postgres_admin_dsn, gamification_database),
                    )
                ),
                "notifications": await stack.enter_async_context(
                    started(
                        "notifications",
                        build_notifications,
                        settings_for(
                            NotificationsSettings,
                            **common,
                            postgres_dsn=await stack.enter_async_context(
                                scratch_database(postgres_admin_dsn, "sec_notifications")
                            ),
                            smtp_port=smtp.port,
                            public_port=public_port,
                            public_base_url=f"http://127.0.0.1:{public_port}",
                            smtp_username=SmtpServer.USERNAME,
                            smtp_password=known.smtp_password,
                            unsubscribe_secret=known.unsubscribe_secret,
                            # The platform's own receiver is on loopback; the webhook-target
                            # tests start an instance with the default (refusing) setting.
                            webhook_allow_private_addresses=True,
                            delivery_poll_interval_ms=100,
                            smtp_timeout_seconds=5,
                            webhook_timeout_seconds=5,
                        ),
                    )
                ),
            }
            yield Platform(kafka, known, services, smtp, receiver)
    finally:
        await receiver.stop()
        smtp.stop()
