"""Right to erasure in gamification: amounts stay under an unlinkable pseudonym,
everything else about the person goes (real broker, FerretDB, gRPC)."""

from __future__ import annotations

import datetime as dt
import uuid
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from pymongo.asynchronous.database import AsyncDatabase

from agora.gamification.v1 import gamification_pb2 as pb
from agora_contracts.events.domains.privacy import PersonErasedV1
from agora_core.messaging.events import OutgoingEvent
from agora_core.messaging.idempotency import COLLECTION as PROCESSED
from agora_core.privacy import ERASED_PERSONS, person_digest
from agora_core.runtime import ServiceRuntime
from agora_core.storage import Document
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events
from agora_core.testing.grpc_assertions import assert_status, caller, rpc_error
from agora_core.testing.personal_data_scan import traces_of

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
    group = service.settings.group_id
    database = service.database

    async def done() -> bool:
        keys = [f"{group}:{e.event_id}" for e in events]
        return await database[PROCESSED].count_documents({"_id": {"$in": keys}}) == len(keys)

    await eventually(done, timeout=WAIT)


async def tomb(database: AsyncDatabase[Document], tenant: str, person: str) -> Any:
    return await database[ERASED_PERSONS].find_one({"_id": person_digest(tenant, person)})


async def tenant_documents(database: AsyncDatabase[Document], tenant: str) -> dict[str, Any]:
    snapshot: dict[str, Any] = {}
    for name in sorted(await database.list_collection_names()):
        if name in (ERASED_PERSONS, PROCESSED):
            continue
        docs = await database[name].find({"tenant_id": tenant}).sort("_id", 1).to_list()
        snapshot[name] = [
            {k: v for k, v in d.items() if k not in ("outbox", "outbox_lease_until")} for d in docs
        ]
    return snapshot


async def ledger(database: AsyncDatabase[Document], tenant: str) -> list[Document]:
    return await database["ledger"].find({"tenant_id": tenant}).to_list()


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
        profile = await service.database["profiles"].find_one(
            {"tenant_id": tenant, "learner_id": ada}
        )
        entries = [e for e in await ledger(service.database, tenant) if e["learner_id"] == ada]
        return profile is not None and sum(e["points"] for e in entries) == profile["points"] > 0

    await eventually(settled, timeout=WAIT)


async def test_person_erased_keeps_amounts_under_a_pseudonym_and_removes_the_rest(
    stub: Stub, service: ServiceRuntime, kafka_bootstrap: str
) -> None:
    db = service.database
    tenant, other = f"t-{uuid.uuid4().hex[:8]}", f"t-{uuid.uuid4().hex[:8]}"
    ada = f"u-ada-{uuid.uuid4().hex[:6]}"
    await life_of(stub, service, kafka_bootstrap, tenant, ada)
    await life_of(stub, service, kafka_bootstrap, other, ada)
    before = await ledger(db, tenant)
    ada_points = sum(e["points"] for e in before if e["learner_id"] == ada)

    await publish_events(kafka_bootstrap, [erased_event(tenant, ada)])

    async def erased() -> bool:
        found = await tomb(db, tenant, ada)
        return found is not None and found["state"] == "erased"

    await eventually(erased, timeout=WAIT)
    assert await traces_of(db, ids=[ada], tenant_id=tenant) == []
    assert len(await traces_of(db, ids=[ada], tenant_id=other)) > 5
    assert "pseudonym" not in await tomb(db, tenant, ada)  # nothing links it back

    # Every entry and amount stays; Ada's entries share one pseudonym.
    after = await ledger(db, tenant)
    assert sorted((e["_id"], e["points"]) for e in after) == sorted(
        (e["_id"], e["points"]) for e in before
    )
    [pseudonym] = {e["learner_id"] for e in after} - {e["learner_id"] for e in before}
    assert pseudonym.startswith("erased-")
    assert sum(e["points"] for e in after if e["learner_id"] == pseudonym) == ada_points
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
    team = await db["teams"].find_one({"tenant_id": tenant, "team_id": "red"})
    assert team is not None
    assert team["member_ids"] == ["bob"]

    # Redelivery changes nothing; a late event about Ada stores nothing.
    snapshot = await tenant_documents(db, tenant)
    redelivered = erased_event(tenant, ada)
    late = completed(tenant, ada, "k-3", at=T0 + dt.timedelta(minutes=9))
    await publish_events(kafka_bootstrap, [redelivered, late])
    await all_processed(service, [redelivered, late])
    assert await tenant_documents(db, tenant) == snapshot
