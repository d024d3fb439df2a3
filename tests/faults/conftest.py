"""The fault rig: gamification as a real process with its own PostgreSQL database and
consumer group, and the clean single pass every scenario is audited against; on the
shared test infrastructure (``rig``: faults of the service itself) or on a private
Kafka and PostgreSQL started once per module (``infra_rig``: faults of the
infrastructure)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from agora_core.postgres import Database, create_pool
from agora_core.testing.event_tap import publish_events, start_group_at_end
from agora_core.testing.postgres import create_test_database, drop_test_database
from agora_platform.private import PrivateInfra

from .audit import GamificationState, gamification_state, wait_handled
from .broker import wait_caught_up
from .processes import REPO_ROOT, ServiceProcess
from .stream import LEARNERS, Stream, build_stream

PREFIX = "AGORA_GAMIFICATION_"


@dataclass
class Rig:
    """What a scenario works with."""

    kafka: str
    process: ServiceProcess
    database: Database
    group: str
    topics: tuple[str, ...]
    clean: GamificationState
    run: str

    def stream(self, scenario: str) -> Stream:
        """The stream for a fresh tenant of this scenario."""
        return build_stream(f"t-{scenario}-{self.run}")

    def streams(self, scenario: str, count: int) -> tuple[Stream, ...]:
        """``count`` streams, one per fresh tenant of this scenario (load for faults that
        must hit the service mid-way: one stream alone is handled in seconds)."""
        return tuple(self.stream(f"{scenario}{n}") for n in range(count))

    async def audit(self, stream: Stream) -> GamificationState:
        """Wait until the stream is handled and every record committed, then read."""
        await wait_handled(self.database, stream)
        await wait_caught_up(self.kafka, self.group, self.topics)
        return await gamification_state(self.process.grpc_address, self.database, stream)

    async def ensure_running(self) -> None:
        if self.process.pid is None:
            await self.process.start()


@contextlib.asynccontextmanager
async def open_rig(
    kafka: str,
    postgres_dsn: str,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
) -> AsyncIterator[Rig]:
    """Gamification started on ``kafka`` and the database ``postgres_dsn`` names, with
    its own consumer group, and its clean pass done; stopped after."""
    run = uuid.uuid4().hex[:8]
    group = f"agora-gamification-faults-{run}"
    reference = build_stream(f"t-clean-{run}")
    topics = tuple(sorted({event.topic for event in reference.events}))
    # Start at the end: a new group would otherwise replay every earlier run's events.
    await start_group_at_end(kafka, group, list(topics))
    state_dir: Path = tmp_path_factory.mktemp(name)
    process = ServiceProcess.create(
        state_dir,
        kafka,
        "gamification",
        {
            f"{PREFIX}POSTGRES_DSN": postgres_dsn,
            f"{PREFIX}POSTGRES_MIGRATE_ON_START": "true",
            f"{PREFIX}CONSUMER_GROUP": group,
            f"{PREFIX}CONSUMER_RETRY_BACKOFF_MS": "20",
            f"{PREFIX}CONSUMER_RETRY_BACKOFF_MAX_MS": "500",
            f"{PREFIX}OUTBOX_POLL_INTERVAL_MS": "250",
            f"{PREFIX}SHUTDOWN_GRACE_SECONDS": "20",
            f"{PREFIX}LOG_LEVEL": "WARNING",
        },
    )
    pool = create_pool(postgres_dsn, application_name="agora-faults-audit", max_size=4)
    await pool.open()
    database = Database(pool)
    try:
        await process.start()
        await publish_events(kafka, reference.events)
        await wait_handled(database, reference)
        await wait_caught_up(kafka, group, topics)
        clean = await gamification_state(process.grpc_address, database, reference)
        # The oracle itself must be worth comparing with: every kind of credit occurs
        # and every learner earned something.
        rules = {rule for _, rule, _, _ in clean.entries}
        assert {"completion", "quiz-passed", "like-received", "streak-day"} <= rules, rules
        assert set(clean.learners) == set(LEARNERS)
        assert all(state.points > 0 for state in clean.learners.values()), clean.learners
        # Streaks span several days (one missed day forgiven), so order matters if the
        # service gets it wrong.
        assert max(s.streak_longest for s in clean.learners.values()) >= 3, clean.learners
        yield Rig(kafka, process, database, group, topics, clean, run)
    except BaseException:
        print(f"--- gamification log tail ---\n{process.tail()}")
        raise
    finally:
        if process.pid is not None:
            await process.stop()
        await pool.close()


@pytest.fixture(scope="session")
async def rig(
    kafka_bootstrap: str,
    postgres_admin_dsn: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Rig]:
    """The rig on the shared test infrastructure (scenarios that fault the service),
    with a database of its own."""
    name, dsn = await create_test_database(postgres_admin_dsn, prefix="faults_gam")
    try:
        async with open_rig(kafka_bootstrap, dsn, tmp_path_factory, "faults-platform") as rig:
            yield rig
    finally:
        await drop_test_database(postgres_admin_dsn, name)


@pytest.fixture(scope="module")
async def private_infra(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[PrivateInfra]:
    """Kafka and PostgreSQL of these scenarios alone (own state directory, free
    ports): stopping them never disturbs the shared broker and database of the others."""
    infra = PrivateInfra.create(REPO_ROOT, tmp_path_factory.mktemp("faults-infra"), os.environ)
    try:
        await infra.up()
        yield infra
    finally:
        await infra.down()


@pytest.fixture(scope="module")
async def infra_rig(
    private_infra: PrivateInfra, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Rig]:
    """The rig, its clean pass included, on the private infrastructure (gamification's
    own database and role there, as ``deploy/local/postgres.sh`` provisions them)."""
    async with open_rig(
        private_infra.kafka_bootstrap,
        private_infra.config.postgres_dsn("gamification"),
        tmp_path_factory,
        "faults-private",
    ) as rig:
        yield rig
