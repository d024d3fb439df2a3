"""Right to erasure in notifications: the person's inbox, emails, profile, preferences
and reminders go; others' notifications lose the person's id (real broker, SMTP,
PostgreSQL, gRPC)."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest

from agora.notifications.v1 import notifications_pb2 as pb
from agora_contracts.events.domains import community, learning
from agora_contracts.events.domains.notifications import DELIVERIES_TOPIC
from agora_contracts.events.domains.privacy import ERASED_PERSON_PLACEHOLDER, PersonErasedV1
from agora_core.messaging.events import OutgoingEvent
from agora_core.postgres import Database
from agora_core.privacy import person_digest
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events, tapping
from agora_core.testing.grpc_assertions import assert_status, caller, rpc_error
from agora_core.testing.postgres_scan import postgres_traces_of, tenant_rows

from .support import Stack, event

pytestmark = pytest.mark.integration

DELIVERED = "org.agora.notifications.notification.delivered.v1"
WAIT = 120.0


def erased(stack: Stack, tenant: str, person: str) -> OutgoingEvent:
    return event(
        PersonErasedV1(
            erasure_id=uuid.uuid4().hex,
            person_id=person,
            requested_by="u-admin",
            reason="data_subject_request",
            requested_at=stack.clock.now(),
        ),
        tenant=tenant,
        subject=person,
        source="/agora/community",
        actor="u-admin",
    )


def commented(stack: Stack, tenant: str, author: str, owner: str) -> OutgoingEvent:
    return event(
        community.CommentPostedV1(
            comment_id=f"c-{uuid.uuid4().hex[:6]}",
            target_type="knowledge",
            target_id="k-1",
            author_id=author,
            target_owner_id=owner,
            excerpt="Nice one",
            posted_at=stack.clock.now(),
        ),
        tenant=tenant,
        subject="k-1",
        source="/agora/community",
        actor=author,
    )


async def _scalar(database: Database, tenant: str, query: str, *params: Any) -> Any:
    async with database.unit_of_work(tenant) as uow:
        cursor = await uow.connection.execute(query, params)
        row = await cursor.fetchone()
    return None if row is None else row[0]


async def erased_at(database: Database, tenant: str, person: str) -> Any:
    """When the person's tombstone was written in the tenant (None: not erased)."""
    return await _scalar(
        database,
        tenant,
        "SELECT erased_at FROM erased_persons WHERE tenant_id = %s AND digest = %s",
        tenant,
        person_digest(tenant, person),
    )


async def life_of(stack: Stack, tenant: str, ada: str, address: str) -> None:
    """Ada sets a profile and preferences, gets an answer (inbox + email), starts an item
    (reminder schedule), comments on Bob's item (Bob's inbox names her, a webhook
    subscriber gets the event)."""
    me = caller(["learner"], tenant=tenant, subject=ada)
    admin = caller(["admin"], tenant=tenant, subject="u-admin")
    await stack.stub.UpdateMyProfile(
        pb.UpdateMyProfileRequest(profile=pb.Profile(email=address, time_zone="Europe/Paris")),
        metadata=me,
    )
    await stack.stub.SetPreferences(
        pb.SetPreferencesRequest(
            layer=pb.PreferenceLayer(
                scope=pb.SCOPE_PERSON,
                categories=[
                    pb.CategoryPreference(
                        category="answer_posted",
                        channels=[
                            pb.ChannelSetting(channel=pb.CHANNEL_EMAIL, enabled=pb.TOGGLE_ON)
                        ],
                    )
                ],
            )
        ),
        metadata=me,
    )
    await stack.stub.CreateWebhookSubscription(
        pb.CreateWebhookSubscriptionRequest(
            url=stack.receiver.url(f"hook-{tenant}"),
            event_types=["org.agora.community.comment.posted.v1"],
        ),
        metadata=admin,
    )
    answer = community.AnswerPostedV1(
        answer_id="an-1",
        question_id="q-1",
        question_title="Why rebase?",
        asker_id=ada,
        author_id="u-linus",
        excerpt="Linear history",
        posted_at=stack.clock.now(),
    )
    started = learning.KnowledgeStartedV1(
        learner_id=ada,
        item_id="k-7",
        item_type="video",
        item_title="Rebase",
        estimated_minutes=10,
        started_at=stack.clock.now(),
    )
    async with tapping(stack.kafka, [DELIVERIES_TOPIC]) as tap:
        await publish_events(
            stack.kafka,
            [
                event(answer, tenant=tenant, subject="an-1", source="/agora/community"),
                event(started, tenant=tenant, subject="k-7"),
                commented(stack, tenant, ada, "u-bob"),
            ],
        )
        await tap.wait_for(DELIVERED, tenant=tenant, where=lambda d: d["channel"] == "email")
        await tap.wait_for(DELIVERED, tenant=tenant, where=lambda d: d["recipient_id"] == "u-bob")

    async def hooked() -> bool:
        return len(stack.receiver.at(f"hook-{tenant}")) == 1

    await eventually(hooked, timeout=WAIT)


async def test_person_erased_removes_what_was_for_them_and_their_id_from_the_rest(
    stack: Stack, unique: str
) -> None:
    db = stack.runtime.require_postgres()
    tenant, other = f"t-{unique}", f"t-{unique}-b"
    ada = f"u-ada-{uuid.uuid4().hex[:6]}"
    address = f"{ada}@example.org"
    await life_of(stack, tenant, ada, address)
    await life_of(stack, other, ada, address)
    assert len(await postgres_traces_of(db, ids=[ada], texts=[address], tenant_id=tenant)) > 5

    await publish_events(stack.kafka, [erased(stack, tenant, ada)])

    async def done() -> bool:
        return await erased_at(db, tenant, ada) is not None

    await eventually(done, timeout=WAIT)
    assert await postgres_traces_of(db, ids=[ada], texts=[address], tenant_id=tenant) == []
    assert len(await postgres_traces_of(db, ids=[ada], texts=[address], tenant_id=other)) > 5

    bob = caller(["learner"], tenant=tenant, subject="u-bob")
    [note] = (await stack.stub.ListInbox(pb.ListInboxRequest(), metadata=bob)).notifications
    assert note.body == f"{ERASED_PERSON_PLACEHOLDER} commented: Nice one"
    # A token the identity provider has not revoked yet no longer works for Ada here
    # (it still does in the other tenant).
    error = await rpc_error(
        stack.stub.ListInbox(
            pb.ListInboxRequest(), metadata=caller(["learner"], tenant=tenant, subject=ada)
        )
    )
    assert_status(error, grpc.StatusCode.UNAUTHENTICATED)
    still = await stack.stub.GetMyProfile(
        pb.GetMyProfileRequest(), metadata=caller(["learner"], tenant=other, subject=ada)
    )
    assert still.profile.email == address
    hooks = await stack.stub.ListWebhookSubscriptions(
        pb.ListWebhookSubscriptionsRequest(),
        metadata=caller(["admin"], tenant=tenant, subject="u-admin"),
    )
    assert len(hooks.subscriptions) == 1  # the tenant's, not the person's

    # Redelivery changes nothing; a later mention of Ada notifies nobody and stores nothing.
    snapshot = await tenant_rows(db, tenant)
    again = erased(stack, tenant, ada)
    late = event(
        community.MentionCreatedV1(
            comment_id="c-late",
            target_type="knowledge",
            target_id="k-1",
            author_id="u-bob",
            mentioned_user_id=ada,
            excerpt="ping",
            mentioned_at=stack.clock.now(),
        ),
        tenant=tenant,
        subject="k-1",
        source="/agora/community",
        actor="u-bob",
    )
    await publish_events(stack.kafka, [again, late])
    group = stack.settings.group_id

    async def handled() -> bool:
        marks = await _scalar(
            db,
            tenant,
            "SELECT count(*) FROM processed_events WHERE tenant_id = %s AND group_id = %s"
            " AND event_id = ANY(%s)",
            tenant,
            group,
            [again.event_id, late.event_id],
        )
        return bool(marks == 2)

    await eventually(handled, timeout=WAIT)
    assert await tenant_rows(db, tenant) == snapshot
