"""Inbox and email from consumed events: dedup, tenancy, roles, locales, unsubscribe."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import aiohttp
import grpc
import pytest

from agora.notifications.v1 import notifications_pb2 as pb
from agora_contracts.events.domains import catalog, community
from agora_contracts.events.domains.notifications import DELIVERIES_TOPIC
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events, publish_raw, tapping
from agora_core.testing.grpc_assertions import assert_status, caller, rpc_error

from .support import Stack, event, parts

pytestmark = pytest.mark.integration

DELIVERED = "org.agora.notifications.notification.delivered.v1"


def reviewed(stack: Stack, author: str, decision: str = "approved") -> catalog.SubmissionReviewedV1:
    return catalog.SubmissionReviewedV1(
        item_id="k-1",
        author_id=author,
        reviewer_id="u-linus",
        title="Git rebase tips",
        version=1,
        decision=decision,
        comment="Nice work",
        reviewed_at=stack.clock.now(),
    )


async def inbox(stack: Stack, tenant: str, person: str) -> list[pb.Notification]:
    response = await stack.stub.ListInbox(
        pb.ListInboxRequest(), metadata=caller(["learner"], tenant=tenant, subject=person)
    )
    return list(response.notifications)


async def test_a_reviewed_submission_reaches_the_inbox_once_and_is_announced(
    stack: Stack, unique: str
) -> None:
    tenant = f"t-{unique}"
    me = caller(["learner"], tenant=tenant, subject="u-grace")
    the_event = event(reviewed(stack, "u-grace"), tenant=tenant, subject="k-1")
    async with tapping(stack.kafka, [DELIVERIES_TOPIC]) as tap:
        await publish_events(stack.kafka, [the_event])
        delivered = await tap.wait_for(DELIVERED, tenant=tenant)
        # The same event again (a redelivery) and a second review of the same item.
        await publish_events(stack.kafka, [the_event])
        second = event(reviewed(stack, "u-grace", "rejected"), tenant=tenant, subject="k-1")
        await publish_events(stack.kafka, [second])
        await tap.wait_for(DELIVERED, tenant=tenant, count=2)

    assert delivered[0].data["recipient_id"] == "u-grace"
    assert delivered[0].data["channel"] == "inbox"
    assert delivered[0].data["category"] == "submission_reviewed"
    assert delivered[0].data["source_event_id"] == the_event.event_id
    notifications = await inbox(stack, tenant, "u-grace")
    assert len(notifications) == 2, "the redelivered event must not add a notification"
    titles = {n.title: n for n in notifications}
    approved = titles["Your submission “Git rebase tips” was approved"]
    assert "Your submission “Git rebase tips” was rejected" in titles
    assert delivered[0].envelope.subject == approved.notification_id

    unread = await stack.stub.GetUnreadCount(pb.GetUnreadCountRequest(), metadata=me)
    assert unread.unread == 2
    marked = await stack.stub.MarkRead(
        pb.MarkReadRequest(notification_ids=[notifications[0].notification_id]), metadata=me
    )
    assert marked.marked == 1
    unread_only = await stack.stub.ListInbox(pb.ListInboxRequest(unread_only=True), metadata=me)
    assert [n.notification_id for n in unread_only.notifications] == [
        notifications[1].notification_id
    ]
    assert (await stack.stub.MarkAllRead(pb.MarkAllReadRequest(), metadata=me)).marked == 1
    assert (await stack.stub.GetUnreadCount(pb.GetUnreadCountRequest(), metadata=me)).unread == 0

    # Paging: one per page, two pages.
    first = await stack.stub.ListInbox(pb.ListInboxRequest(page_size=1), metadata=me)
    rest = await stack.stub.ListInbox(
        pb.ListInboxRequest(page_size=1, page_token=first.next_page_token), metadata=me
    )
    assert len(first.notifications) == len(rest.notifications) == 1
    assert first.notifications[0].notification_id != rest.notifications[0].notification_id
    bad = await rpc_error(stack.stub.ListInbox(pb.ListInboxRequest(page_token="!!"), metadata=me))
    assert_status(bad, grpc.StatusCode.INVALID_ARGUMENT, field="page_token")

    # Another tenant (same person id) and another person see nothing of it.
    assert await inbox(stack, f"other-{unique}", "u-grace") == []
    assert await inbox(stack, tenant, "u-ada") == []
    other = caller(["learner"], tenant=f"other-{unique}", subject="u-grace")
    marked_elsewhere = await stack.stub.MarkRead(
        pb.MarkReadRequest(notification_ids=[notifications[0].notification_id]), metadata=other
    )
    assert marked_elsewhere.marked == 0


async def test_experts_hear_of_items_waiting_and_commenters_do_not_notify_themselves(
    stack: Stack, unique: str
) -> None:
    tenant = f"t-{unique}"
    now = stack.clock.now()
    submitted = catalog.SubmissionSubmittedV1(
        item_id="k-2",
        author_id="u-grace",
        item_type="wiki",
        title="SQL joins",
        version=1,
        reviewer_ids=("u-linus", "u-ada", "u-grace"),
        submitted_at=now,
    )
    own_comment = community.CommentPostedV1(
        comment_id="c-1",
        target_type="knowledge",
        target_id="k-2",
        author_id="u-grace",
        target_owner_id="u-grace",
        excerpt="self",
        posted_at=now,
    )
    comment = own_comment.model_copy(update={"comment_id": "c-2", "author_id": "u-ada"})
    answer = community.AnswerPostedV1(
        answer_id="an-1",
        question_id="q-1",
        question_title="Why rebase?",
        asker_id="u-grace",
        author_id="u-linus",
        excerpt="Because history",
        posted_at=now,
    )
    await publish_events(
        stack.kafka,
        [
            event(submitted, tenant=tenant, subject="k-2"),
            event(own_comment, tenant=tenant, subject="c-1", source="/agora/community"),
            event(comment, tenant=tenant, subject="c-2", source="/agora/community"),
            event(answer, tenant=tenant, subject="an-1", source="/agora/community"),
        ],
    )

    async def arrived() -> bool:
        return len(await inbox(stack, tenant, "u-grace")) == 2

    await eventually(arrived)
    assert {n.category for n in await inbox(stack, tenant, "u-grace")} == {
        "comment_posted",
        "answer_posted",
    }
    for expert in ("u-linus", "u-ada"):
        [waiting] = await inbox(stack, tenant, expert)
        assert waiting.category == "review_requested"
        assert waiting.subject_id == "k-2"


async def test_email_in_the_persons_locale_with_a_working_unsubscribe_link(
    stack: Stack, unique: str
) -> None:
    tenant = f"t-{unique}"
    address = f"ada-{unique}@example.org"
    me = caller(["learner"], tenant=tenant, subject="u-ada")
    await stack.stub.UpdateMyProfile(
        pb.UpdateMyProfileRequest(
            profile=pb.Profile(email=address, locale="fr", time_zone="Europe/Paris")
        ),
        metadata=me,
    )
    answer = community.AnswerPostedV1(
        answer_id="an-1",
        question_id="q-1",
        question_title="Pourquoi <rebase> ?",
        asker_id="u-ada",
        author_id="u-linus",
        excerpt="Parce que <b>l'historique</b>",
        posted_at=stack.clock.now(),
    )
    the_event = event(answer, tenant=tenant, subject="an-1", source="/agora/community")
    async with tapping(stack.kafka, [DELIVERIES_TOPIC]) as tap:
        await publish_events(stack.kafka, [the_event])
        await tap.wait_for(DELIVERED, tenant=tenant, where=lambda d: d["channel"] == "email")
        await publish_events(stack.kafka, [the_event])  # redelivery: no second email
        await tap.wait_for(DELIVERED, tenant=tenant, where=lambda d: d["channel"] == "inbox")

    [message] = stack.smtp.to(address)
    assert message["Subject"] == "Nouvelle réponse à « Pourquoi <rebase> ? »"
    body = parts(message)
    assert "l'historique" in body["text/plain"]
    assert "&lt;b&gt;l&#39;historique&lt;/b&gt;" in body["text/html"], "HTML is autoescaped"
    assert "Se désabonner" in body["text/html"]
    link = message["List-Unsubscribe"].strip("<>")
    assert link.startswith(stack.public_url)

    admin = caller(["admin"], tenant=tenant, subject="u-admin")
    log = await stack.stub.ListDeliveries(
        pb.ListDeliveriesRequest(channel=pb.CHANNEL_EMAIL, recipient_id="u-ada"), metadata=admin
    )
    assert [d.state for d in log.deliveries] == [pb.DELIVERY_STATE_DELIVERED]

    token = parse_qs(urlsplit(link).query)["token"][0]
    async with aiohttp.ClientSession() as http:
        async with http.get(
            f"{stack.public_url}/unsubscribe",
            params={"token": token},
            headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"},
        ) as page:
            assert page.status == 200
            form = await page.text()
            assert "<form" in form
            assert "Se désabonner" in form  # the browser's language
        async with http.post(
            f"{stack.public_url}/unsubscribe", params={"token": token[:-2] + "xx"}
        ) as forged:
            assert forged.status == 400
        async with http.post(link, data={"List-Unsubscribe": "One-Click"}) as done:
            assert done.status == 200
            assert "You are unsubscribed." in await done.text()  # no Accept-Language

    effective = await stack.stub.GetEffectivePreferences(
        pb.GetEffectivePreferencesRequest(), metadata=me
    )
    email_answers = [
        p
        for p in effective.preferences
        if p.category == "answer_posted" and p.channel == pb.CHANNEL_EMAIL
    ]
    assert [p.enabled for p in email_answers] == [False]

    # The next answer lands in the inbox only.
    later = answer.model_copy(update={"answer_id": "an-2"})
    async with tapping(stack.kafka, [DELIVERIES_TOPIC]) as tap:
        await publish_events(
            stack.kafka, [event(later, tenant=tenant, subject="an-2", source="/agora/community")]
        )
        await tap.wait_for(DELIVERED, tenant=tenant, where=lambda d: d["channel"] == "inbox")
    assert len(await inbox(stack, tenant, "u-ada")) == 2
    log = await stack.stub.ListDeliveries(
        pb.ListDeliveriesRequest(channel=pb.CHANNEL_EMAIL, recipient_id="u-ada"), metadata=admin
    )
    assert len(log.deliveries) == 1
    assert len(stack.smtp.to(address)) == 1


async def test_an_smtp_outage_keeps_the_email_pending_until_it_gets_through(
    stack: Stack, unique: str
) -> None:
    tenant = f"t-{unique}"
    address = f"grace-{unique}@example.org"
    admin = caller(["admin"], tenant=tenant, subject="u-admin")
    await stack.stub.UpsertProfiles(
        pb.UpsertProfilesRequest(profiles=[pb.Profile(person_id="u-grace", email=address)]),
        metadata=admin,
    )
    stack.smtp.stop()
    try:
        await publish_events(
            stack.kafka,
            [event(reviewed(stack, "u-grace"), tenant=tenant, subject="k-1")],
        )

        async def attempted() -> bool:
            log = await stack.stub.ListDeliveries(
                pb.ListDeliveriesRequest(channel=pb.CHANNEL_EMAIL), metadata=admin
            )
            return bool(log.deliveries) and log.deliveries[0].attempts >= 1

        await eventually(attempted)
    finally:
        stack.smtp.start()
    [pending] = (
        await stack.stub.ListDeliveries(pb.ListDeliveriesRequest(), metadata=admin)
    ).deliveries
    assert pending.state == pb.DELIVERY_STATE_PENDING
    assert pending.last_error
    assert pending.log[0].ok is False

    stack.clock.advance(__import__("datetime").timedelta(minutes=5))
    await stack.runtime.worker.run_once()

    async def sent() -> bool:
        return len(stack.smtp.to(address)) == 1

    await eventually(sent)
    [done] = (
        await stack.stub.ListDeliveries(pb.ListDeliveriesRequest(), metadata=admin)
    ).deliveries
    assert done.state == pb.DELIVERY_STATE_DELIVERED
    assert [a.ok for a in done.log] == [False, True]


async def test_profiles_are_validated_and_bulk_upsert_is_for_admins(
    stack: Stack, unique: str
) -> None:
    tenant = f"t-{unique}"
    me = caller(["learner"], tenant=tenant, subject="u-ada")
    for profile, field in (
        (pb.Profile(email="not-an-address"), "profile.email"),
        (pb.Profile(locale="de"), "profile.locale"),
        (pb.Profile(time_zone="Mars/Olympus"), "profile.time_zone"),
        (pb.Profile(nudge_cadence=pb.NUDGE_CADENCE_DAILY, nudge_hour=25), "profile.nudge_hour"),
    ):
        error = await rpc_error(
            stack.stub.UpdateMyProfile(pb.UpdateMyProfileRequest(profile=profile), metadata=me)
        )
        assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field=field)
    denied = await rpc_error(
        stack.stub.UpsertProfiles(
            pb.UpsertProfilesRequest(profiles=[pb.Profile(person_id="u-x")]), metadata=me
        )
    )
    assert_status(denied, grpc.StatusCode.PERMISSION_DENIED)
    admin = caller(["admin"], tenant=tenant, subject="u-admin")
    bad = await rpc_error(
        stack.stub.UpsertProfiles(
            pb.UpsertProfilesRequest(profiles=[pb.Profile(person_id="u-1"), pb.Profile()]),
            metadata=admin,
        )
    )
    assert_status(bad, grpc.StatusCode.INVALID_ARGUMENT, field="profiles.1.person_id")
    done = await stack.stub.UpsertProfiles(
        pb.UpsertProfilesRequest(
            profiles=[pb.Profile(person_id="u-ada", email="ada@example.org", locale="fr")]
        ),
        metadata=admin,
    )
    assert done.upserted == 1
    mine = await stack.stub.GetMyProfile(pb.GetMyProfileRequest(), metadata=me)
    assert (mine.profile.email, mine.profile.locale) == ("ada@example.org", "fr")
    unknown = uuid.uuid4().hex
    assert unknown  # keeps the import used for ids elsewhere


async def test_a_malformed_payload_goes_to_the_dead_letter_topic(stack: Stack, unique: str) -> None:
    tenant = f"t-{unique}"
    good = event(reviewed(stack, "u-grace"), tenant=tenant, subject="k-1")
    headers = dict(good.headers)
    topic = good.topic
    async with tapping(stack.kafka, [f"{topic}.dlq"]) as tap:
        await publish_raw(stack.kafka, topic, b'{"item_id": 42}', headers, key=b"k-1")

        [dead] = await tap.wait_for(good.headers["ce_type"], tenant=tenant)
    assert dead.data == {"item_id": 42}
    assert await inbox(stack, tenant, "u-grace") == []
