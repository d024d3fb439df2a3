"""The shared erasure engine on the real server: plans, tombstones, the event guard."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from agora_contracts.events import CloudEventEnvelope
from agora_contracts.events.domains.community import LikeAddedV1
from agora_contracts.events.domains.privacy import ERASED_PERSON_PLACEHOLDER, PersonErasedV1
from agora_core.messaging.events import OutgoingEvent, ReceivedEvent
from agora_core.messaging.retry import PermanentError
from agora_core.privacy import (
    PERSON_ERASED,
    Anonymise,
    Delete,
    DeleteKeyed,
    ErasedPersons,
    ErasurePlan,
    PersonEraser,
    with_erasure,
)
from agora_core.storage import Document
from agora_core.testing.personal_data_scan import traces_of

pytestmark = pytest.mark.integration

ADA = "u-ada"

PLAN = ErasurePlan(
    steps=(
        Delete("inbox", ("recipient_id",), "the person's"),
        DeleteKeyed("markers", "keyed by the person"),
        Anonymise("posts", ("author_id", "mentions"), "content stays", text_fields=("body",)),
        Anonymise("ledger", ("learner_id",), "amounts stay", pseudonymous=True),
    )
)


async def seed(database: AsyncDatabase[Document], tenant: str) -> None:
    await database["inbox"].insert_many(
        [
            {"_id": f"{tenant}-n1", "tenant_id": tenant, "recipient_id": ADA, "text": "hi"},
            {"_id": f"{tenant}-n2", "tenant_id": tenant, "recipient_id": "u-bob", "text": "yo"},
        ]
    )
    await database["markers"].insert_many(
        [
            {"_id": f"{tenant}:k1:{ADA}", "tenant_id": tenant},
            {"_id": f"{tenant}:k1:{ADA}m", "tenant_id": tenant},
        ]
    )
    await database["posts"].insert_many(
        [
            {"_id": f"{tenant}-p1", "tenant_id": tenant, "author_id": ADA, "body": "mine"},
            {
                "_id": f"{tenant}-p2",
                "tenant_id": tenant,
                "author_id": "u-bob",
                "mentions": [ADA],
                "body": f"thanks @{ADA}, and @{ADA}m",
                "outbox": [{"id": "e1", "value": f"pending about {ADA}"}],
            },
            {
                "_id": f"{tenant}-p3",
                "tenant_id": tenant,
                "author_id": "u-bob",
                "body": f"cc {ADA}.",
            },
        ]
    )
    await database["ledger"].insert_many(
        [
            {"_id": f"{tenant}-l{i}", "tenant_id": tenant, "learner_id": who, "points": 10}
            for i, who in enumerate((ADA, ADA, "u-bob"))
        ]
    )


async def test_a_plan_erases_one_tenant_idempotently(database: AsyncDatabase[Document]) -> None:
    await seed(database, "t1")
    await seed(database, "t2")
    eraser = PersonEraser(database, PLAN)
    report = await eraser.erase("t1", ADA)
    assert report.deleted == {"inbox": 1, "markers": 1}
    assert report.anonymised == {"posts": 3, "ledger": 2}

    traces = await traces_of(database, ids=[ADA], tenant_id="t1")
    # Only the pending outbox entry (an event in flight) still names the person.
    assert [(t.collection, t.path) for t in traces] == [("posts", "outbox[0].value")]
    assert await database["markers"].find_one({"_id": f"t1:k1:{ADA}m"}) is not None
    p2 = await database["posts"].find_one({"_id": "t1-p2"})
    assert p2 is not None
    assert p2["mentions"] == [ERASED_PERSON_PLACEHOLDER]
    assert p2["body"] == f"thanks @{ERASED_PERSON_PLACEHOLDER}, and @{ADA}m"
    ledger = await database["ledger"].find({"tenant_id": "t1"}).to_list()
    pseudonyms = {e["learner_id"] for e in ledger} - {"u-bob"}
    assert len(pseudonyms) == 1
    assert sum(e["points"] for e in ledger) == 30
    tomb = await database["erased_persons"].find_one({"tenant_id": "t1"})
    assert tomb is not None
    assert tomb["state"] == "erased"
    assert "pseudonym" not in tomb

    before = await database["posts"].find({}).sort("_id", 1).to_list()
    again = await eraser.erase("t1", ADA)
    assert again.changed == 0
    assert await database["posts"].find({}).sort("_id", 1).to_list() == before
    assert len(await traces_of(database, ids=[ADA], tenant_id="t2")) > 5


async def test_an_interrupted_erasure_resumes_with_the_same_pseudonym(
    database: AsyncDatabase[Document],
) -> None:
    tombstones = ErasedPersons(database)
    first = await tombstones.begin("t1", ADA)
    assert await tombstones.begin("t1", ADA) == first
    assert await tombstones.is_erased("t1", ADA)
    assert not await tombstones.is_erased("t2", ADA)
    await tombstones.complete("t1", ADA)
    assert await tombstones.begin("t1", ADA) != first  # forgotten once complete


async def test_a_document_keyed_by_the_person_cannot_be_anonymised(
    database: AsyncDatabase[Document],
) -> None:
    await database["likes"].insert_one({"_id": f"t1:k1:{ADA}", "tenant_id": "t1", "user_id": ADA})
    eraser = PersonEraser(database, ErasurePlan(steps=(Anonymise("likes", ("user_id",), "bug"),)))
    with pytest.raises(PermanentError):
        await eraser.erase("t1", ADA)


def received(event: OutgoingEvent, payload: Any) -> ReceivedEvent[Any]:
    return ReceivedEvent(
        envelope=CloudEventEnvelope.from_headers(event.headers),
        payload=payload,
        topic=event.topic,
        partition=0,
        offset=0,
        key=event.key,
    )


async def test_with_erasure_drops_later_events_about_the_person(
    database: AsyncDatabase[Document],
) -> None:
    handled: list[str] = []

    async def on_like(event: ReceivedEvent[Any]) -> None:
        handled.append("like")

    async def fan_out(event: ReceivedEvent[Any]) -> None:
        handled.append("fan-out")

    like_type = "org.agora.community.like.added.v1"
    topics, handlers = with_erasure(
        ["agora.community.likes.v1"],
        {like_type: on_like, PERSON_ERASED: fan_out},
        PersonEraser(database, PLAN),
    )
    assert "agora.privacy.erasures.v1" in topics

    def like(liker: str) -> ReceivedEvent[Any]:
        payload = LikeAddedV1(
            like_id=uuid.uuid4().hex,
            target_type="knowledge",
            target_id="k1",
            liker_id=liker,
            liked_at=datetime.now(UTC),
        )
        out = OutgoingEvent.create(
            payload, source="/agora/community", subject="k1", tenant_id="t1", actor_id=liker
        )
        return received(out, payload)

    erased = PersonErasedV1(
        erasure_id="e1",
        person_id=ADA,
        requested_by="u-admin",
        reason="account_closed",
        requested_at=datetime.now(UTC),
    )
    erasure = OutgoingEvent.create(erased, source="/agora/community", subject=ADA, tenant_id="t1")
    await handlers[like_type](like(ADA))
    await handlers[PERSON_ERASED](received(erasure, erased))
    await handlers[like_type](like(ADA))
    await handlers[like_type](like("u-bob"))
    assert handled == ["like", "fan-out", "like"]


async def test_services_with_per_person_records_also_drop_events_naming_the_placeholder(
    database: AsyncDatabase[Document],
) -> None:
    handled: list[bool] = []

    async def on_like(event: ReceivedEvent[Any]) -> None:
        handled.append(True)

    payload = LikeAddedV1(
        like_id="l1",
        target_type="comment",
        target_id="c1",
        liker_id="u-bob",
        target_owner_id=ERASED_PERSON_PLACEHOLDER,
        liked_at=datetime.now(UTC),
    )
    out = OutgoingEvent.create(payload, source="/agora/community", subject="c1", tenant_id="t1")
    like_type = "org.agora.community.like.added.v1"
    eraser = PersonEraser(database, PLAN)
    _, counting = with_erasure([], {like_type: on_like}, eraser)
    _, crediting = with_erasure([], {like_type: on_like}, eraser, per_person_records=True)
    await counting[like_type](received(out, payload))  # a counter still counts it
    await crediting[like_type](received(out, payload))  # nobody to credit or notify
    assert handled == [True]
