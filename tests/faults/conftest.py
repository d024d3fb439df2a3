"""The fault rig: gamification as a real process with its own PostgreSQL database and
consumer group, and the clean single pass every scenario is audited against; on the
shared test infrastructure (``rig``: faults of the service itself) or on a private
Kafka and PostgreSQL started once per module (``infra_rig``: faults of the
infrastructure)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from agora_core.postgres import Database, create_pool
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events, start_group_at_end, wait_caught_up
from agora_core.testing.postgres import create_test_database, drop_test_database
from agora_platform.private import PrivateInfra

from .audit import WAIT, GamificationState, gamification_state, wait_handled
from .badges import BADGE_IDS, define_badges
from .processes import REPO_ROOT, ServiceProcess
from .publications import Offsets, publications, published_since
from .stream import LEARNERS, Stream, build_stream

PREFIX = "AGORA_GAMIFICATION_"
POOL_MAX_SIZE = 4
"""The service's pool in the rig: small, so the pool-exhaustion scenario fills it."""
POOL_TIMEOUT_SECONDS = 2.0
MAX_RECORDS = 50
"""Records per poll: progress comes a batch at a time, so a fault can land inside."""
KILL_TENANTS = 4
"""Tenants whose streams a scenario on the shared rig interleaves (384 events): one
stream alone is handled in a few poll rounds, too fast for a fault to land inside it."""


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
    dsn: str
    since: dict[str, Offsets] = field(default_factory=dict)
    """Per tenant, the end offsets of gamification's topics before its stream."""

    async def stream(self, scenario: str) -> Stream:
        """The stream for a fresh tenant of this scenario."""
        return (await self.streams(scenario, 1))[0]

    async def streams(self, scenario: str, count: int) -> tuple[Stream, ...]:
        """``count`` streams, one per fresh tenant of this scenario (load for faults that
        must hit the service mid-way: one stream alone is handled in seconds)."""
        since = await published_since(self.kafka)
        streams = tuple(build_stream(f"t-{scenario}{n}-{self.run}") for n in range(count))
        for stream in streams:
            self.since[stream.tenant] = since
            await define_badges(self.process.grpc_address, stream.tenant)
        return streams

    async def audit(self, stream: Stream) -> GamificationState:
        """Wait until the stream is handled and every record committed, then read."""
        return (await self.audit_all((stream,)))[0]

    async def audit_all(self, streams: tuple[Stream, ...]) -> list[GamificationState]:
        """:meth:`audit` of several streams, gamification's topics read once for all."""
        for stream in streams:
            await wait_handled(self.database, stream)
        await wait_caught_up(self.kafka, self.group, self.topics)
        since = _earliest(self.since[stream.tenant] for stream in streams)
        published = await publications(self.kafka, since, streams)
        return [
            await gamification_state(
                self.process.grpc_address, self.database, stream, published[stream.tenant]
            )
            for stream in streams
        ]

    async def handled(self, streams: tuple[Stream, ...]) -> int:
        """Events of ``streams`` the process handled (its per-tenant counter)."""
        return await self.process.consumed("handled", [stream.tenant for stream in streams])

    async def wait_inside(self, streams: tuple[Stream, ...], published: int) -> int:
        """Wait until the process's count of handled events of ``streams`` is at least a
        quarter of ``published`` and strictly below it; fail at once if it is already
        past (a fault injected then would land after the stream, testing nothing)."""
        floor = published // 4
        handled = 0

        async def inside() -> bool:
            nonlocal handled
            handled = await self.handled(streams)
            assert handled < published, f"all {published} handled before the fault"
            return handled >= floor

        await eventually(inside, timeout=WAIT, interval=0.05)
        return handled

    async def ensure_running(self) -> None:
        if self.process.pid is None:
            await self.process.start()


def _earliest(offsets: Iterable[Offsets]) -> Offsets:
    earliest: Offsets = {}
    for each in offsets:
        for tp, offset in each.items():
            earliest[tp] = min(offset, earliest.get(tp, offset))
    return earliest


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
            # Progress per tenant: the shared topics carry other runs' events too.
            f"{PREFIX}METRICS_PER_TENANT": "true",
            f"{PREFIX}CONSUMER_MAX_RECORDS": str(MAX_RECORDS),
            f"{PREFIX}POSTGRES_POOL_MAX_SIZE": str(POOL_MAX_SIZE),
            f"{PREFIX}POSTGRES_POOL_TIMEOUT_SECONDS": str(POOL_TIMEOUT_SECONDS),
        },
    )
    pool = create_pool(postgres_dsn, application_name="agora-faults-audit", max_size=4)
    await pool.open()
    database = Database(pool)
    try:
        await process.start()
        await define_badges(process.grpc_address, reference.tenant)
        since = await published_since(kafka)
        await publish_events(kafka, reference.events)
        await wait_handled(database, reference)
        await wait_caught_up(kafka, group, topics)
        published = await publications(kafka, since, (reference,))
        clean = await gamification_state(
            process.grpc_address, database, reference, published[reference.tenant]
        )
        # The oracle itself must be worth comparing with: every kind of credit occurs
        # and every learner earned something.
        rules = {rule for _, rule, _, _ in clean.entries}
        assert {"completion", "quiz-passed", "like-received", "streak-day"} <= rules, rules
        assert set(clean.learners) == set(LEARNERS)
        assert all(state.points > 0 for state in clean.learners.values()), clean.learners
        # Streaks span several days (one missed day forgiven), so order matters if the
        # service gets it wrong.
        assert max(s.streak_longest for s in clean.learners.values()) >= 3, clean.learners
        # What it published: points for every ledger entry, levels reached and the
        # badges awarded (every tenant defines ``badges.BADGES``), each fact under one
        # event id.
        kinds = {fact[0] for fact, _ in clean.published}
        assert {"points", "level", "badge"} <= kinds, clean.published
        _assert_badges_worth_comparing(clean)
        assert all(ids == 1 for _, ids in clean.published), clean.published
        assert sum(1 for fact, _ in clean.published if fact[0] == "points") == len(clean.entries), (
            "one points.awarded per ledger entry"
        )
        yield Rig(kafka, process, database, group, topics, clean, run, postgres_dsn)
    except BaseException:
        print(f"--- gamification log tail ---\n{process.tail()}")
        raise
    finally:
        if process.pid is not None:
            await process.stop()
        await pool.close()


def _assert_badges_worth_comparing(clean: GamificationState) -> None:
    """Every badge is earned by someone and missed by someone (the criteria tell
    learners apart), and each badge a profile holds went out as one badge.awarded."""
    held = {(learner, badge) for learner, s in clean.learners.items() for badge, _ in s.badges}
    published = {(fact[1], fact[2]) for fact, _ in clean.published if fact[0] == "badge"}
    assert held == published, (held, published)
    for badge in BADGE_IDS:
        holders = {learner for learner, held_badge in held if held_badge == badge}
        assert holders, f"nobody earned {badge}"
        assert holders != set(LEARNERS), f"everybody earned {badge}: it tells no one apart"


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
