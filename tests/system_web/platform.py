"""The real platform a browser test uses: the four services in process (each on its own
database, Connect on, CORS for the app's origin), the web app's local OpenID Connect
provider with the demo tenant's people, the built app served with its config.json, and
the demo's seed (catalogue, path, badge, profiles) plus the manager's assignment."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from agora_catalog.bootstrap import build as build_catalog
from agora_catalog.settings import CatalogSettings
from agora_community.bootstrap import build as build_community
from agora_community.settings import CommunitySettings
from agora_contracts.events.schemas import load_platform_events
from agora_core.grpc.auth import DEV_ALGORITHM
from agora_core.grpc.client import bearer_metadata
from agora_core.grpc.dev_tokens import mint_token
from agora_core.runtime import ServiceRuntime
from agora_core.testing.event_tap import start_group_at_end
from agora_core.testing.grpc_assertions import DEV_SECRET
from agora_core.testing.postgres import scratch_database
from agora_core.testing.service_harness import running_service, test_settings
from agora_demo.cast import EVERYONE, Person
from agora_demo.narration import Narrator
from agora_demo.platform import Metadata, Platform
from agora_demo.story import Demo
from agora_gamification.bootstrap import build as build_gamification
from agora_gamification.settings import GamificationSettings
from agora_notifications.bootstrap import build as build_notifications
from agora_notifications.settings import NotificationsSettings
from agora_platform.private import free_port
from agora_platform.state import PlatformState, ServiceState
from agora_platform.web import WebConfig, build_web, serve_web
from agora_platform.web_identity import IdentityProvider, LocalPerson, running_identity_provider

ROOT = Path(__file__).resolve().parents[2]
SERVICES: dict[str, tuple[Any, Any]] = {
    "catalog": (CatalogSettings, build_catalog),
    "community": (CommunitySettings, build_community),
    "gamification": (GamificationSettings, build_gamification),
    "notifications": (NotificationsSettings, build_notifications),
}
TOPICS = load_platform_events().topics()


@dataclass
class WebPlatform:
    origin: str
    tenant: str
    demo: Demo
    platform: Platform
    provider: IdentityProvider


class SeedingPlatform(Platform):
    """The demo's platform client, its tokens carrying the issuer and audience the
    services check (signed with the test services' development secret)."""

    def __init__(self, state: PlatformState, tenant: str, provider: IdentityProvider) -> None:
        super().__init__(state, tenant)
        self._provider = provider

    def as_(self, person: Person) -> Metadata:
        token = mint_token(
            DEV_SECRET,
            DEV_ALGORITHM,
            subject=person.person_id,
            tenant=self.tenant,
            roles=person.roles,
            ttl=dt.timedelta(hours=1),
            issuer=self._provider.issuer,
            audience=self._provider.audience,
        )
        return bearer_metadata(token)


def _state(runtimes: dict[str, ServiceRuntime], secret_file: Path) -> PlatformState:
    return PlatformState(
        state_dir=secret_file.parent,
        kafka_bootstrap="",
        dev_secret_file=secret_file,
        services=tuple(
            ServiceState(
                name=name,
                pid=os.getpid(),
                grpc_address=f"127.0.0.1:{runtime.grpc_port}",
                metrics_url="",
                log_file=Path(os.devnull),
            )
            for name, runtime in runtimes.items()
        ),
    )


def _connect_url(runtime: ServiceRuntime) -> str:
    connect = getattr(runtime.api, "connect", None)
    assert connect is not None, "CONNECT_ENABLED did not open the Connect endpoint"
    return str(connect.url)


@contextlib.asynccontextmanager
async def running_web_platform(
    *, kafka: str, postgres_admin_dsn: str, scratch: Path, access_token_ttl: int | None = None
) -> AsyncIterator[WebPlatform]:
    """``access_token_ttl``: the provider's access token lifetime in seconds (1 h if None)."""
    tenant = f"web-{uuid.uuid4().hex[:8]}"
    dist = build_web(ROOT)
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    people = [LocalPerson(p.person_id, p.name, p.roles) for p in EVERYONE]
    async with contextlib.AsyncExitStack() as stack:
        provider = await stack.enter_async_context(
            running_identity_provider(
                ROOT, tenant, people, [f"{origin}/"], access_token_ttl=access_token_ttl
            )
        )
        runtimes: dict[str, ServiceRuntime] = {}
        for name, (settings_class, build) in SERVICES.items():
            dsn = await stack.enter_async_context(
                scratch_database(postgres_admin_dsn, f"web_{name[:4]}")
            )
            settings = test_settings(
                settings_class,
                kafka=kafka,
                postgres_dsn=dsn,
                # A group of its own, started at the end of the topics: a new group
                # would otherwise read every event the run's other tests published
                # before reaching this platform's (minutes in a full run).
                consumer_group=f"agora-{name}-web-{tenant}",
                connect_enabled=True,
                connect_port=0,
                connect_cors_allowed_origins=[origin],
                jwt_jwks_url=provider.jwks_uri,
                jwt_issuer=provider.issuer,
                jwt_audience=provider.audience,
            )
            await start_group_at_end(kafka, settings.group_id, TOPICS)
            runtimes[name] = await stack.enter_async_context(running_service(build, settings))
        endpoints = {name: _connect_url(runtime) for name, runtime in runtimes.items()}
        served = await serve_web(dist, WebConfig(provider.issuer, endpoints), port)
        stack.push_async_callback(served.close)

        secret_file = scratch / "dev-secret"
        secret_file.write_text(DEV_SECRET)
        platform = await stack.enter_async_context(
            SeedingPlatform(_state(runtimes, secret_file), tenant, provider)
        )
        demo = Demo(platform, Narrator(Console(file=io.StringIO())))
        await demo.seed()
        await demo.manager_assigns()  # waits until each learner's inbox shows it
        yield WebPlatform(origin, tenant, demo, platform, provider)
