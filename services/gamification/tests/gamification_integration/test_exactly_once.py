"""Exactly-once effect: redelivery, a restart mid-stream and two replicas in one consumer
group all end with the same ledger and balances as a single clean pass.

Every instance here shares the module's database and the run's consumer group (as
replicas of one deployment do); each scenario has its own tenant and replays the same
stream of events (same content; ids derived from the tenant).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from agora_core.messaging.events import OutgoingEvent
from agora_core.runtime import ServiceRuntime
from agora_core.storage import Document, create_mongo_client
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events
from agora_core.testing.service_harness import running_service
from agora_gamification.adapters.board_index import MongoBoardStore
from agora_gamification.adapters.mongo import GamificationStore
from agora_gamification.bootstrap import build
from agora_gamification.domain.standings import RANGE_WIDTH
from agora_gamification.service_layer.leaderboards import Leaderboards

from .conftest import gamification_settings, start_group_at_end
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
async def shared_database(
    kafka_bootstrap: str, mongo_uri: str
) -> AsyncIterator[AsyncDatabase[Document]]:
    await start_group_at_end(kafka_bootstrap)
    client = create_mongo_client(mongo_uri)
    name = f"gam_eo_{uuid.uuid4().hex[:10]}"
    yield client[name]
    await client.drop_database(name)
    await client.close()


@contextlib.asynccontextmanager
async def instance(
    kafka: str, mongo_uri: str, database: AsyncDatabase[Document]
) -> AsyncIterator[ServiceRuntime]:
    async with running_service(
        build, gamification_settings(kafka, mongo_uri, database.name)
    ) as runtime:
        yield runtime


async def processed(database: AsyncDatabase[Document], tenant: str) -> int:
    return await database["processed_events"].count_documents({"tenant_id": tenant})


async def all_processed(database: AsyncDatabase[Document], tenant: str, count: int) -> None:
    async def done() -> bool:
        return await processed(database, tenant) >= count

    await eventually(done, timeout=2 * WAIT)


async def snapshot(database: AsyncDatabase[Document], tenant: str) -> Snapshot:
    """(learner, rule, points, event position) of every entry, every balance and every
    streak (current, longest); checks that each balance equals the sum of its ledger
    entries."""
    positions = {str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/{n}")): n for n in range(60)}
    entries: list[tuple[str, str, int, int]] = []
    sums: dict[str, int] = {}
    async for entry in database["ledger"].find({"tenant_id": tenant}):
        learner = str(entry["learner_id"])
        # One streak-day entry per learner and local day, earned by whichever of that
        # day's events is handled first; events of one learner arrive on several topics
        # (completions by learner, likes by target, reviews by item), whose relative
        # order no consumer sees the same way twice. The day is compared, not the event.
        position = -1 if entry["rule_id"] == "streak-day" else positions[entry["source_event_id"]]
        entries.append((learner, entry["rule_id"], entry["points"], position))
        sums[learner] = sums.get(learner, 0) + int(entry["points"])
    balances: dict[str, int] = {}
    streaks: dict[str, tuple[int, int]] = {}
    async for profile in database["profiles"].find({"tenant_id": tenant}):
        balances[str(profile["learner_id"])] = int(profile["points"])
        streak = profile.get("streak") or {}
        streaks[str(profile["learner_id"])] = (
            int(streak.get("current", 0)),
            int(streak.get("longest", 0)),
        )
        assert not profile.get("outbox"), "every outbox entry was published"
    assert balances == sums, "balance == sum of the ledger for every learner"
    await assert_index_matches_scores(database, tenant)
    return sorted(entries), balances, streaks


async def assert_index_matches_scores(database: AsyncDatabase[Document], tenant: str) -> None:
    """The rank index (buckets, range counts, directories) says exactly what the score
    documents say, no move is left pending, and the tenant board read from the index
    ranks learners by their balance."""
    expected: dict[tuple[str, str], dict[str, tuple[int, str]]] = {}
    async for score in database["scores"].find({"tenant_id": tenant}):
        assert "pending" not in score, f"move left pending: {score['_id']}"
        board = expected.setdefault((score["board"], score["period"]), {})
        if score["public"] and score["member"]:
            board[score["learner_id"]] = (score["points"], score["reached_at"])
    found: dict[tuple[str, str], dict[str, tuple[int, str]]] = {}
    counts: dict[tuple[str, str, str], dict[str, Any]] = {}
    async for doc in database["board_index"].find({"tenant_id": tenant}):
        _, board_name, period, kind, *_ = str(doc["_id"]).split("|")
        if kind == "p":
            for entry in doc["entries"]:
                on_board = found.setdefault((board_name, period), {})
                assert entry["l"] not in on_board, f"{entry['l']} twice on {board_name}"
                on_board[entry["l"]] = (doc["points"], entry["t"])
            counts[(board_name, period, f"p{doc['points']}")] = {"n": len(doc["entries"])}
        else:
            cells = {k: v["n"] for k, v in doc["c"].items() if v["n"]}
            counts[(board_name, period, str(doc["_id"]).split("|")[-1])] = cells
    assert {k: v for k, v in found.items() if v} == {k: v for k, v in expected.items() if v}
    for (board_name, period), members in expected.items():
        points = [p for p, _ in members.values()]
        by_value = {f"p{p}": points.count(p) for p in set(points)}
        in_range = {int(k[1:]) // RANGE_WIDTH for k in by_value}
        ranges = {
            f"r{r}": sum(n for k, n in by_value.items() if int(k[1:]) // RANGE_WIDTH == r)
            for r in in_range
        }
        if members:
            assert counts[(board_name, period, "d")] == ranges
            for r in ranges:
                assert counts[(board_name, period, r[1:])] == {
                    k: n for k, n in by_value.items() if int(k[1:]) // RANGE_WIDTH == int(r[1:])
                }
    ranked = await Leaderboards(GamificationStore(database), MongoBoardStore(database)).people(
        tenant,
        "l0",
        board="tenant",
        period="all",
        top_n=10,
        around_me=False,
        neighbours=0,
        privacy_mode="public",
    )
    assert [e.learner_id for e in ranked.top] == [
        learner
        for learner, _ in sorted(
            expected[("tenant", "all")].items(), key=lambda kv: (-kv[1][0], kv[1][1], kv[0])
        )
    ]


@pytest.fixture(scope="module")
async def clean_pass(
    kafka_bootstrap: str, mongo_uri: str, shared_database: AsyncDatabase[Document]
) -> Snapshot:
    tenant = f"t-clean-{uuid.uuid4().hex[:6]}"
    async with instance(kafka_bootstrap, mongo_uri, shared_database):
        events = stream(tenant)
        await publish_events(kafka_bootstrap, events)
        await all_processed(shared_database, tenant, len(events))
        await eventually(lambda: _outbox_empty(shared_database, tenant), timeout=WAIT)
    result = await snapshot(shared_database, tenant)
    assert len(result[0]) > 40
    assert set(result[1]) == set(LEARNERS)
    # Streaks span the forgiven Wednesday for someone, so day order would show.
    assert max(longest for _, longest in result[2].values()) >= 3, result[2]
    return result


async def _outbox_empty(database: AsyncDatabase[Document], tenant: str) -> bool:
    query: dict[str, Any] = {"tenant_id": tenant, "outbox.id": {"$exists": True}}
    return await database["profiles"].count_documents(query) == 0


async def test_redelivery_even_without_processed_marks_ends_like_a_clean_pass(
    kafka_bootstrap: str,
    mongo_uri: str,
    shared_database: AsyncDatabase[Document],
    clean_pass: Snapshot,
) -> None:
    tenant = f"t-redeliver-{uuid.uuid4().hex[:6]}"
    events = stream(tenant)
    async with instance(kafka_bootstrap, mongo_uri, shared_database):
        await publish_events(kafka_bootstrap, events)
        await all_processed(shared_database, tenant, len(events))
        # As if the process died after every effect but before its processed mark:
        # only the effects' own guards stand between a redelivery and a double credit.
        await shared_database["processed_events"].delete_many({"tenant_id": tenant})
        await publish_events(kafka_bootstrap, events)
        await all_processed(shared_database, tenant, len(events))
        await eventually(lambda: _outbox_empty(shared_database, tenant), timeout=WAIT)
    assert await snapshot(shared_database, tenant) == clean_pass


async def test_restart_mid_stream_ends_like_a_clean_pass(
    kafka_bootstrap: str,
    mongo_uri: str,
    shared_database: AsyncDatabase[Document],
    clean_pass: Snapshot,
) -> None:
    tenant = f"t-restart-{uuid.uuid4().hex[:6]}"
    events = stream(tenant)
    async with instance(kafka_bootstrap, mongo_uri, shared_database):
        await publish_events(kafka_bootstrap, events)

        async def some_done() -> bool:
            return await processed(shared_database, tenant) >= 5

        await eventually(some_done, timeout=WAIT)
    async with instance(kafka_bootstrap, mongo_uri, shared_database):
        await all_processed(shared_database, tenant, len(events))
        await eventually(lambda: _outbox_empty(shared_database, tenant), timeout=WAIT)
    assert await snapshot(shared_database, tenant) == clean_pass


async def test_two_replicas_in_one_group_end_like_a_clean_pass(
    kafka_bootstrap: str,
    mongo_uri: str,
    shared_database: AsyncDatabase[Document],
    clean_pass: Snapshot,
) -> None:
    tenant = f"t-replicas-{uuid.uuid4().hex[:6]}"
    events = stream(tenant)
    async with (
        instance(kafka_bootstrap, mongo_uri, shared_database) as first,
        instance(kafka_bootstrap, mongo_uri, shared_database) as second,
    ):
        await first.consumers[0].wait_for_assignment(60)
        await second.consumers[0].wait_for_assignment(60)

        async def both_own_partitions() -> bool:
            return bool(first.consumers[0].assignment) and bool(second.consumers[0].assignment)

        await eventually(both_own_partitions, timeout=WAIT)
        # Deliver twice with no processed marks in between, so both copies race the
        # effects' guards wherever a rebalance moves a partition.
        await publish_events(kafka_bootstrap, events)
        await publish_events(kafka_bootstrap, events)
        await all_processed(shared_database, tenant, len(events))
        await eventually(lambda: _outbox_empty(shared_database, tenant), timeout=WAIT)
    assert await snapshot(shared_database, tenant) == clean_pass
