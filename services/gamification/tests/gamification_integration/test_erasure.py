"""Right to erasure in gamification: amounts stay under an unlinkable pseudonym,
everything else about the person goes (real broker, PostgreSQL, gRPC)."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from agora.gamification.v1 import gamification_pb2 as pb
from agora_contracts.events.domains.privacy import PersonErasedV1
from agora_core.messaging.events import OutgoingEvent
from agora_core.privacy import person_digest
from agora_core.runtime import ServiceRuntime
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events
from agora_core.testing.grpc_assertions import assert_status, caller, rpc_error
from agora_gamification.adapters.postgres.erasure import gamification_eraser

from .storage import ledger_sum, rows, tables, tenant_rows, traces_of
from .streams import T0, WAIT, Stub, completed, joined, liked

pytestmark = pytest.mark.integration

COMPLETED = "org.agora.learning.knowledge.completed.v1"


def erased_event(tenant: str, person: str) -> OutgoingEvent:
    return OutgoingEvent.create(
        PersonErasedV1(
            erasure_id=uuid.uuid4().hex,
            person_id=person,
            requested_by="u-admin",
            reason="data_subject_request",
            requested_at=datetime.now(UTC),
        ),
        source="/agora/community",
        subject=person,
        tenant_id=tenant,
        actor_id="u-admin",
    )


def ts(moment: dt.datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


async def all_processed(service: ServiceRuntime, events: list[OutgoingEvent]) -> None:
    by_tenant: dict[str, list[str]] = {}
    for event in events:
        by_tenant.setdefault(event.headers["ce_tenantid"], []).append(event.event_id)

    async def done() -> bool:
        for tenant, ids in by_tenant.items():
            found = await rows(
                service,
                tenant,
                "SELECT count(*) FROM processed_events WHERE tenant_id = %s AND group_id = %s "
                "AND event_id = ANY(%s::uuid[])",
                (tenant, service.settings.group_id, ids),
            )
            if int(found[0][0]) != len(ids):
                return False
        return True

    await eventually(done, timeout=WAIT)


async def tomb(service: ServiceRuntime, tenant: str, person: str) -> bool:
    found = await rows(
        service,
        tenant,
        "SELECT 1 FROM erased_persons WHERE tenant_id = %s AND digest = %s",
        (tenant, person_digest(tenant, person)),
    )
    return bool(found)


async def snapshot(service: ServiceRuntime, tenant: str) -> dict[str, Any]:
    """Every row of the tenant but the consumer's own bookkeeping."""
    return await tenant_rows(
        service, tenant, skip=frozenset({"processed_events", "outbox", "erased_persons"})
    )


async def ledger(service: ServiceRuntime, tenant: str) -> list[tuple[str, str, int]]:
    """(entry id, learner, points) of every entry."""
    found = await rows(
        service,
        tenant,
        "SELECT entry_id, learner_id, points FROM ledger WHERE tenant_id = %s",
        (tenant,),
    )
    return [(str(e), str(learner), int(points)) for e, learner, points in found]


async def life_of(stub: Stub, service: ServiceRuntime, kafka: str, tenant: str, ada: str) -> None:
    """Ada completes, likes and is liked, joins a space, is in a team and a challenge."""
    admin = caller(("admin",), tenant=tenant, subject="u-admin")
    await stub.PutTeam(
        pb.PutTeamRequest(team_id="red", name="Red", member_ids=[ada, "bob"]), metadata=admin
    )
    await stub.CreateChallenge(
        pb.CreateChallengeRequest(
            challenge=pb.Challenge(
                title="5 items",
                scope=pb.CHALLENGE_SCOPE_PERSON,
                event_type=COMPLETED,
                target=5,
                starts_at=ts(T0 - dt.timedelta(hours=1)),
                ends_at=ts(T0 + dt.timedelta(days=7)),
            )
        ),
        metadata=caller(tenant=tenant, subject=ada),
    )
    events = [
        joined(tenant, ada, "s-1"),
        completed(tenant, ada, "k-1", author="bob"),
        completed(tenant, ada, "k-2", at=T0 + dt.timedelta(minutes=5)),
        liked(tenant, "bob", ada, "k-9"),
        liked(tenant, ada, "bob", "k-8"),
        completed(tenant, "bob", "k-1"),
    ]
    await publish_events(kafka, events)
    await all_processed(service, events)

    async def settled() -> bool:
        balance = await rows(
            service,
            tenant,
            "SELECT balance FROM profiles WHERE tenant_id = %s AND learner_id = %s",
            (tenant, ada),
        )
        return bool(balance) and await ledger_sum(service, tenant, ada) == balance[0][0] > 0

    await eventually(settled, timeout=WAIT)


async def test_person_erased_keeps_amounts_under_a_pseudonym_and_removes_the_rest(
    stub: Stub, service: ServiceRuntime, kafka_bootstrap: str
) -> None:
    tenant, other = f"t-{uuid.uuid4().hex[:8]}", f"t-{uuid.uuid4().hex[:8]}"
    ada = f"u-ada-{uuid.uuid4().hex[:6]}"
    await life_of(stub, service, kafka_bootstrap, tenant, ada)
    await life_of(stub, service, kafka_bootstrap, other, ada)
    before = await ledger(service, tenant)
    ada_points = sum(points for _, learner, points in before if learner == ada)
    assert await traces_of(service, ada, tenant) != []

    erasure = erased_event(tenant, ada)
    await publish_events(kafka_bootstrap, [erasure])
    await all_processed(service, [erasure])
    assert await tomb(service, tenant, ada)
    assert await traces_of(service, ada, tenant) == []
    assert len(await traces_of(service, ada, other)) > 5

    # Every entry and amount stays; Ada's entries share one pseudonym.
    after = await ledger(service, tenant)
    assert sorted((e, p) for e, _, p in after) == sorted((e, p) for e, _, p in before)
    [pseudonym] = {learner for _, learner, _ in after} - {learner for _, learner, _ in before}
    assert pseudonym.startswith("erased-")
    assert sum(p for _, learner, p in after if learner == pseudonym) == ada_points
    # No profile, awards, scores; off the boards and out of the team.
    error = await rpc_error(
        stub.GetProfile(pb.GetProfileRequest(learner_id=ada), metadata=caller(tenant=tenant))
    )
    assert_status(error, grpc.StatusCode.NOT_FOUND)
    board = await stub.GetLeaderboard(
        pb.GetLeaderboardRequest(scope=pb.BOARD_SCOPE_TENANT, period=pb.PERIOD_ALL_TIME, top_n=100),
        metadata=caller(tenant=tenant, subject="bob"),
    )
    assert [entry.learner_id for entry in board.top] == ["bob"]
    members = await rows(
        service,
        tenant,
        "SELECT learner_id FROM team_members WHERE tenant_id = %s AND team_id = 'red'",
        (tenant,),
    )
    assert members == [("bob",)]

    # Redelivery changes nothing; a late event about Ada stores nothing.
    kept = await snapshot(service, tenant)
    redelivered = erased_event(tenant, ada)
    late = completed(tenant, ada, "k-3", at=T0 + dt.timedelta(minutes=9))
    await publish_events(kafka_bootstrap, [redelivered, late])
    await all_processed(service, [redelivered, late])
    assert await snapshot(service, tenant) == kept


async def test_every_table_is_erased_or_declared_not_personal(service: ServiceRuntime) -> None:
    eraser = gamification_eraser(service.require_postgres())
    assert eraser.uncovered(await tables(service)) == []
