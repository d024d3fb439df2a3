"""The audit that ends every scenario: gamification's state for one tenant, normalised
so that two tenants fed the same stream compare equal.

The expected result is a **clean single pass**: the same stream (same shape, its own
event ids) published once to the same service process in a fresh tenant, with no
fault, before any scenario. The scoring rules (weights, daily caps, no credit for one's
own content, like withdrawals, streak days, levels, badges) are the service's; a pass
through the real service is the only oracle that never drifts from them.

Read over gRPC, as a client sees it: each learner's profile (points, level, streak,
badges) and full ledger (every page); from the database where gRPC cannot show it:
every processed mark, no unpublished outbox row, and balance == sum of the ledger per
learner (the invariant a double credit or a lost write breaks); from gamification's
topics what it published (``publications.py``): each fact under one event id.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc

from agora.gamification.v1 import gamification_pb2 as gam
from agora.gamification.v1.gamification_pb2_grpc import GamificationServiceStub
from agora_core.postgres import Database
from agora_core.testing import eventually
from agora_core.testing.grpc_assertions import caller

from .publications import STREAK_DAY_RULE, Fact, Published
from .stream import LEARNERS, Stream

if TYPE_CHECKING:
    from agora.gamification.v1.gamification_pb2_grpc import GamificationServiceAsyncStub

WAIT = 420.0
"""Seconds to wait for a tenant's stream to be fully handled (2 shared cores)."""

Entry = tuple[str, str, int, int]
"""(learner, rule, points, position of the earning event in the stream)."""


@dataclass(frozen=True)
class LearnerState:
    points: int
    level: int
    level_name: str
    streak_longest: int
    streak_last_day: str
    badges: tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class GamificationState:
    """What the audit compares: every ledger entry, every learner's profile and every
    fact published (with the number of event ids it went out under)."""

    entries: tuple[Entry, ...]
    learners: dict[str, LearnerState]
    published: Published = ()

    def total_points(self) -> int:
        return sum(state.points for state in self.learners.values())


async def _count(database: Database, tenant: str, table: str) -> int:
    """Rows of ``tenant`` in ``table`` (one of the service's bookkeeping tables)."""
    async with database.unit_of_work(tenant) as uow:
        cursor = await uow.connection.execute(
            "SELECT count(*) FROM processed_events WHERE tenant_id = %s"
            if table == "processed_events"
            else "SELECT count(*) FROM outbox WHERE tenant_id = %s",
            (tenant,),
        )
        row = await cursor.fetchone()
    return int(row[0]) if row is not None else 0


async def processed(database: Database, tenant: str) -> int:
    """How many of the tenant's events the consumer marked as processed."""
    return await _count(database, tenant, "processed_events")


async def with_profile(database: Database, tenant: str) -> tuple[str, ...]:
    """The tenant's learners who have a profile now (profiles are never deleted here)."""
    async with database.unit_of_work(tenant) as uow:
        cursor = await uow.connection.execute(
            "SELECT learner_id FROM profiles WHERE tenant_id = %s ORDER BY learner_id", (tenant,)
        )
        return tuple(str(row[0]) for row in await cursor.fetchall())


async def outbox_pending(database: Database, tenant: str) -> int:
    """The tenant's outbox rows not yet published (the relay deletes published rows)."""
    return await _count(database, tenant, "outbox")


async def wait_handled(database: Database, stream: Stream) -> None:
    """Until every event of the stream is marked processed and every outbox row the
    stream caused has been published."""

    async def done() -> bool:
        if await processed(database, stream.tenant) < len(stream.events):
            return False
        return await outbox_pending(database, stream.tenant) == 0

    await eventually(done, timeout=WAIT)


async def _balances_and_sums(
    database: Database, tenant: str
) -> tuple[dict[str, int], dict[str, int]]:
    async with database.unit_of_work(tenant) as uow:
        cursor = await uow.connection.execute(
            "SELECT learner_id, balance FROM profiles WHERE tenant_id = %s AND version > 0",
            (tenant,),
        )
        balances = {str(learner): int(balance) for learner, balance in await cursor.fetchall()}
        cursor = await uow.connection.execute(
            "SELECT learner_id, sum(points) FROM ledger WHERE tenant_id = %s GROUP BY learner_id",
            (tenant,),
        )
        sums = {str(learner): int(total) for learner, total in await cursor.fetchall()}
    return balances, sums


def _position(stream: Stream, entry_rule: str, source_event_id: str) -> int:
    # One streak-day entry per learner and local day is earned by whichever of that
    # day's events is handled first; a learner's events come on several topics whose
    # relative order no consumer sees the same way twice. The day is compared (through
    # the streak), not the event.
    return -1 if entry_rule == STREAK_DAY_RULE else stream.position(source_event_id)


async def _ledger(
    stub: GamificationServiceAsyncStub, metadata: Any, learner: str
) -> list[gam.LedgerEntry]:
    entries: list[gam.LedgerEntry] = []
    token = ""
    while True:
        page = await stub.ListLedgerEntries(
            gam.ListLedgerEntriesRequest(learner_id=learner, page_size=100, page_token=token),
            metadata=metadata,
        )
        entries.extend(page.entries)
        token = page.next_page_token
        if not token:
            return entries


async def gamification_state(
    address: str, database: Database, stream: Stream, published: Published
) -> GamificationState:
    """Read the tenant's state and check its invariants (balance == ledger sum, over
    gRPC and in the database; processed marks; no pending outbox); ``published`` is
    what it published (``publications.publications``)."""
    metadata = caller(("manager",), tenant=stream.tenant, subject="u-auditor")
    entries: list[Entry] = []
    learners: dict[str, LearnerState] = {}
    async with grpc.aio.insecure_channel(address) as channel:
        stub: GamificationServiceAsyncStub = GamificationServiceStub(channel)
        for learner in LEARNERS:
            profile = (
                await stub.GetProfile(gam.GetProfileRequest(learner_id=learner), metadata=metadata)
            ).profile
            ledger = await _ledger(stub, metadata, learner)
            assert sum(e.points for e in ledger) == profile.points, (
                f"{learner}: balance {profile.points} != sum of {len(ledger)} ledger entries"
            )
            assert len({e.entry_id for e in ledger}) == len(ledger), (
                f"{learner}: entry listed twice"
            )
            entries.extend(
                (learner, e.rule_id, e.points, _position(stream, e.rule_id, e.source_event_id))
                for e in ledger
            )
            learners[learner] = LearnerState(
                points=profile.points,
                level=profile.level.level,
                level_name=profile.level.name,
                streak_longest=profile.streak.longest_days,
                streak_last_day=profile.streak.last_active_day,
                badges=tuple(sorted((a.badge_id, a.revoked) for a in profile.badges)),
            )
    balances, sums = await _balances_and_sums(database, stream.tenant)
    assert balances == sums, "in the database, balance == sum of the ledger for every learner"
    assert await processed(database, stream.tenant) == len(stream.events), "one mark per event"
    return GamificationState(entries=tuple(sorted(entries)), learners=learners, published=published)


def differences(expected: GamificationState, actual: GamificationState) -> list[str]:
    """What a faulted run has more or less than the clean pass, line by line."""
    lines: list[str] = []
    want, got = Counter(expected.entries), Counter(actual.entries)
    lines += [f"missing ledger entry {e} x{n}" for e, n in (want - got).items()]
    lines += [f"extra ledger entry {e} x{n}" for e, n in (got - want).items()]
    for learner in sorted(set(expected.learners) | set(actual.learners)):
        if expected.learners.get(learner) != actual.learners.get(learner):
            lines.append(
                f"{learner}: expected {expected.learners.get(learner)}, "
                f"got {actual.learners.get(learner)}"
            )
    lines += _published_differences(expected.published, actual.published)
    return lines


def _published_differences(expected: Published, actual: Published) -> list[str]:
    want: Counter[Fact] = Counter(fact for fact, _ in expected)
    got: Counter[Fact] = Counter(fact for fact, _ in actual)
    lines = [f"missing publication {f} x{n}" for f, n in (want - got).items()]
    lines += [f"extra publication {f} x{n}" for f, n in (got - want).items()]
    lines += [f"published under {ids} event ids: {f}" for f, ids in actual if ids > 1]
    return lines


def assert_like_clean_pass(expected: GamificationState, actual: GamificationState) -> None:
    """Equal state, or a failure listing every lost or doubled effect."""
    diff = differences(expected, actual)
    assert not diff, "state differs from a clean single pass:\n" + "\n".join(diff)
