"""The gamification service started once per module on the real broker and database."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import AsyncIterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from agora.gamification.v1 import gamification_pb2_grpc
from agora_contracts.events.domains.privacy import ERASURES_TOPIC
from agora_core.runtime import ServiceRuntime
from agora_core.testing.event_tap import EventTap, tapping
from agora_core.testing.event_tap import start_group_at_end as start_shared_group_at_end
from agora_core.testing.postgres import create_test_database, drop_test_database
from agora_core.testing.service_harness import channel_to, running_service, test_settings
from agora_gamification.bootstrap import build
from agora_gamification.entrypoints.events import consumed_topics
from agora_gamification.settings import GamificationSettings

from .streams import PUBLISHED_TOPICS, T0, Stub

SIGNING_KEY = ec.generate_private_key(ec.SECP256R1())
SIGNING_KEY_PEM = SIGNING_KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
PUBLIC_KEY_PEM = (
    SIGNING_KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


TEST_GROUP = "agora-gamification-integration-tests"


async def start_group_at_end(kafka: str) -> None:
    """Commit the test group's offsets at the end of every consumed topic.

    Each module's instances then handle only what the module publishes, never the
    backlog a benchmark or an earlier run left on a long-lived local broker. Called
    while no instance of the group runs.
    """
    await start_shared_group_at_end(kafka, TEST_GROUP, [*consumed_topics(), ERASURES_TOPIC])


def gamification_settings(
    kafka: str, postgres_dsn: str, **overrides: object
) -> GamificationSettings:
    """Test settings: a signing key, a fast deadline sweeper."""
    values: dict[str, object] = {
        "postgres_dsn": postgres_dsn,
        "badge_signing_key_pem": SIGNING_KEY_PEM,
        "challenge_sweep_seconds": 0.2,
        # One group for every instance of the tests, started at the topics' end by
        # start_group_at_end (see there).
        "consumer_group": TEST_GROUP,
    }
    values.update(overrides)
    return test_settings(GamificationSettings, kafka=kafka, **values)


@pytest.fixture(scope="module")
async def module_postgres_dsn(postgres_admin_dsn: str) -> AsyncIterator[str]:
    """A database of this module's own, reached with an ordinary role (RLS applies)."""
    name, dsn = await create_test_database(postgres_admin_dsn, prefix="gam")
    yield dsn
    await drop_test_database(postgres_admin_dsn, name)


@pytest.fixture(scope="module")
async def tap(kafka_bootstrap: str) -> AsyncIterator[EventTap]:
    async with tapping(kafka_bootstrap, PUBLISHED_TOPICS) as event_tap:
        yield event_tap


class MovableClock:
    """The service's clock in tests: fixed, moved forward by the test."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(scope="module")
def clock() -> MovableClock:
    return MovableClock(T0 + dt.timedelta(hours=3))


@pytest.fixture(scope="module")
async def service(
    kafka_bootstrap: str, module_postgres_dsn: str, tap: EventTap, clock: MovableClock
) -> AsyncIterator[ServiceRuntime]:
    await start_group_at_end(kafka_bootstrap)
    settings = gamification_settings(kafka_bootstrap, module_postgres_dsn)
    async with running_service(functools.partial(build, clock=clock), settings) as runtime:
        yield runtime


@pytest.fixture(scope="module")
async def stub(
    service: ServiceRuntime,
) -> AsyncIterator[Stub]:
    async with channel_to(service) as channel:
        yield gamification_pb2_grpc.GamificationServiceStub(channel)
