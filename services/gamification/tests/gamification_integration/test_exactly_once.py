"""Exactly-once effect: redelivery, a restart mid-stream and two replicas in one consumer
group all end with the same ledger, balances, streaks and boards as a single clean pass.

Every instance here shares the module's database and the run's consumer group (as
replicas of one deployment do); each scenario has its own tenant and replays the same
stream of events (same content; ids derived from the tenant). On PostgreSQL the
processed-event marks, the ledger rows, the profiles and the outbox rows of a batch
commit in one transaction, so a redelivered event is skipped, never applied twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest
from prometheus_client import REGISTRY

from agora_core.identity import Principal
from agora_core.messaging.events import OutgoingEvent
from agora_core.runtime import ServiceRuntime
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events
from agora_core.testing.service_harness import running_service
from agora_gamification.adapters.postgres.board_reads import PostgresBoardReads
from agora_gamification.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_gamification.bootstrap import build
from agora_gamification.service_layer.leaderboards import BoardQuery, Leaderboards

from .conftest import gamification_settings, start_group_at_end
from .storage import rows
from .streams import T0, WAIT, completed, liked, reviewed

pytestmark = pytest.mark.integration

LEARNERS = [f"l{i}" for i in range(6)]
DAYS = (0, 1, 3, 4)
"""Monday, Tuesday, Thursday, Friday of one week: streaks across a forgiven gap, whose
days reach the consumers in whatever order the topics' partitions deliver them."""
Snapshot = tuple[list[tuple[str, str, int, int]], dict[str, int], dict[str, tuple[int, int]]]


def stream(tenant: str) -> list[OutgoingEvent]:
    """Four days of activity: completions (some of one's own content), likes (some of
    one's own), approved contributions; event ids derived from the tenant and the
    position."""
    events: list[OutgoingEvent] = []
    for n in range(60):
        learner = LEARNERS[n % len(LEARNERS)]
        other = LEARNERS[(n * 7 + 1) % len(LEARNERS)]
        at = T0 + dt.timedelta(days=DAYS[n * len(DAYS) // 60], minutes=n)
        kind = n % 4
        if kind in (0, 1):
            event = completed(
                tenant,
                learner,
                f"k-{n}",
                at=at,
                item_type=("video", "session", "document")[n % 3],
                author=other,
            )
        elif kind == 2:
            event = liked(tenant, learner, other, f"k-{n}", at=at)
        else:
            event = reviewed(tenant, learner, other, f"k-{n}", "approved")
        events.append(_with_id(event, uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/{n}")))
    return events


def _with_id(event: OutgoingEvent, event_id: uuid.UUID) -> OutgoingEvent:
    headers = {**event.headers, "ce_id": str(event_id)}
    return OutgoingEvent(str(event_id), event.topic, event.key, headers, event.value)


@pytest.fixture(scope="module")
async def shared_dsn(kafka_bootstrap: str, module_postgres_dsn: str) -> str:
    await start_group_at_end(kafka_bootstrap)
    return module_postgres_dsn


@contextlib.asynccontextmanager
async def instance(kafka: str, dsn: str) -> AsyncIterator[ServiceRuntime]:
    async with running_service(build, gamification_settings(kafka, dsn)) as runtime:
        yield runtime


async def processed(service: ServiceRuntime, tenant: str) -> int:
    found = await rows(
        service, tenant, "SELECT count(*) FROM processed_events WHERE tenant_id = %s", (tenant,)
    )
    return int(found[0][0])


async def all_processed(service: ServiceRuntime, tenant: str, count: int) -> None:
    async def done() -> bool:
        return await processed(service, tenant) >= count

    await eventually(done, timeout=2 * WAIT)


async def outbox_empty(service: ServiceRuntime, tenant: str) -> bool:
    found = await rows(
        service, tenant, "SELECT count(*) FROM outbox WHERE tenant_id = %s", (tenant,)
    )
    return int(found[0][0]) == 0


async def snapshot(service: ServiceRuntime, tenant: str) -> Snapshot:
    """(learner, rule, points, event position) of every entry, every balance and every
    streak (current, longest); checks that each balance equals the sum of its ledger
    entries and that the boards say what the profiles say."""
    positions = {str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/{n}")): n for n in range(60)}
    entries: list[tuple[str, str, int, int]] = []
    sums: dict[str, int] = {}
    ledger = await rows(
        service,
        tenant,
        "SELECT learner_id, rule_id, points, source_event_id FROM ledger WHERE tenant_id = %s",
        (tenant,),
    )
    for learner, rule_id, points, event_id in ledger:
        # One streak-day entry per learner and local day, earned by whichever of that
        # day's events is handled first; events of one learner arrive on several topics
        # (completions by learner, likes by target, reviews by item), whose relative
        # order no consumer sees the same way twice. The day is compared, not the event.
        position = -1 if rule_id == "streak-day" else positions[event_id]
        entries.append((learner, rule_id, points, position))
        sums[learner] = sums.get(learner, 0) + int(points)
    balances: dict[str, int] = {}
    streaks: dict[str, tuple[int, int]] = {}
    profiles = await rows(
        service,
        tenant,
        "SELECT learner_id, balance, streak_current, streak_longest FROM profiles "
        "WHERE tenant_id = %s",
        (tenant,),
    )
    for learner, balance, current, longest in profiles:
        balances[learner] = int(balance)
        streaks[learner] = (int(current), int(longest))
    assert balances == sums, "balance == sum of the ledger for every learner"
    await assert_board_matches_balances(service, tenant, balances)
    return sorted(entries), balances, streaks


async def assert_board_matches_balances(
    service: ServiceRuntime, tenant: str, balances: dict[str, int]
) -> None:
    """The all-time tenant board holds every learner with their balance, and reads
    them in board order."""
    entries = await rows(
        service,
        tenant,
        "SELECT learner_id, points, reached_at FROM board_entries "
        "WHERE tenant_id = %s AND board = 'tenant' AND period = 'all' AND public",
        (tenant,),
    )
    assert {learner: int(points) for learner, points, _ in entries} == balances
    expected = [learner for learner, _, _ in sorted(entries, key=lambda e: (-e[1], e[2], e[0]))]
    database = service.require_postgres()
    board = await Leaderboards(
        PostgresUnitOfWorkFactory(database), PostgresBoardReads(database), lambda: T0
    ).board(
        Principal("l0", tenant),
        BoardQuery(
            kind="tenant",
            scope_id="",
            period="all",
            period_key="all",
            top_n=10,
            around_me=False,
            neighbours=0,
        ),
    )
    assert [s.learner_id for s in board.top] == expected


@pytest.fixture(scope="module")
async def clean_pass(kafka_bootstrap: str, shared_dsn: str) -> Snapshot:
    tenant = f"t-clean-{uuid.uuid4().hex[:6]}"
    async with instance(kafka_bootstrap, shared_dsn) as service:
        events = stream(tenant)
        await publish_events(kafka_bootstrap, events)
        await all_processed(service, tenant, len(events))
        await eventually(lambda: outbox_empty(service, tenant), timeout=WAIT)
        result = await snapshot(service, tenant)
    assert len(result[0]) > 40
    assert set(result[1]) == set(LEARNERS)
    # Streaks span the forgiven Wednesday for someone, so day order would show.
    assert max(longest for _, longest in result[2].values()) >= 3, result[2]
    return result


def duplicates_seen() -> float:
    """Events the service's consumers skipped as already processed (this process)."""
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "agora_events_consumed"
        for sample in metric.samples
        if sample.name == "agora_events_consumed_total"
        and sample.labels.get("service") == "gamification"
        and sample.labels.get("outcome") == "duplicate"
    )


async def test_redelivery_ends_like_a_clean_pass(
    kafka_bootstrap: str, shared_dsn: str, clean_pass: Snapshot
) -> None:
    tenant = f"t-redeliver-{uuid.uuid4().hex[:6]}"
    events = stream(tenant)
    async with instance(kafka_bootstrap, shared_dsn) as service:
        await publish_events(kafka_bootstrap, events)
        await all_processed(service, tenant, len(events))
        before = duplicates_seen()
        # Every event again: each is skipped by the mark its first handling committed
        # together with its effects.
        await publish_events(kafka_bootstrap, events)

        async def all_skipped() -> bool:
            return duplicates_seen() - before >= len(events)

        await eventually(all_skipped, timeout=WAIT)
        # And again with every processed mark gone (as after their retention): the
        # learners' recent-event windows and the progress keys stop a double credit.
        await rows(service, tenant, "DELETE FROM processed_events WHERE tenant_id = %s", (tenant,))
        await publish_events(kafka_bootstrap, events)
        await all_processed(service, tenant, len(events))
        await eventually(lambda: outbox_empty(service, tenant), timeout=WAIT)
        assert await snapshot(service, tenant) == clean_pass


async def test_restart_mid_stream_ends_like_a_clean_pass(
    kafka_bootstrap: str, shared_dsn: str, clean_pass: Snapshot
) -> None:
    tenant = f"t-restart-{uuid.uuid4().hex[:6]}"
    events = stream(tenant)
    async with instance(kafka_bootstrap, shared_dsn) as service:
        await publish_events(kafka_bootstrap, events)

        async def some_done() -> bool:
            return await processed(service, tenant) >= 5

        await eventually(some_done, timeout=WAIT)
    async with instance(kafka_bootstrap, shared_dsn) as service:
        await all_processed(service, tenant, len(events))
        await eventually(lambda: outbox_empty(service, tenant), timeout=WAIT)
        assert await snapshot(service, tenant) == clean_pass


async def test_two_replicas_in_one_group_end_like_a_clean_pass(
    kafka_bootstrap: str, shared_dsn: str, clean_pass: Snapshot
) -> None:
    tenant = f"t-replicas-{uuid.uuid4().hex[:6]}"
    events = stream(tenant)
    async with (
        instance(kafka_bootstrap, shared_dsn) as first,
        instance(kafka_bootstrap, shared_dsn) as second,
    ):
        await first.consumers[0].wait_for_assignment(60)
        await second.consumers[0].wait_for_assignment(60)

        async def both_own_partitions() -> bool:
            return bool(first.consumers[0].assignment) and bool(second.consumers[0].assignment)

        await eventually(both_own_partitions, timeout=WAIT)
        # Delivered twice, so both replicas race for the same events wherever a
        # rebalance moves a partition.
        await publish_events(kafka_bootstrap, events)
        await publish_events(kafka_bootstrap, events)
        await all_processed(first, tenant, len(events))
        await eventually(lambda: outbox_empty(first, tenant), timeout=WAIT)
        assert await snapshot(first, tenant) == clean_pass
