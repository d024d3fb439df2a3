"""xAPI statements through the real broker: learning and community events in, valid
xAPI 1.0.3 statements out on agora.xapi.statements.v1, once each, per-tenant identity."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from agora_contracts.events import CloudEventEnvelope, EventPayload
from agora_contracts.events.domains import community, learning
from agora_contracts.events.domains.privacy import PersonErasedV1
from agora_contracts.events.domains.xapi import STATEMENTS_TOPIC
from agora_contracts.events.schemas import load_platform_events
from agora_contracts.xapi import statement_id, statement_schema
from agora_core.messaging.events import OutgoingEvent, ReceivedEvent
from agora_core.testing import eventually
from agora_core.testing.event_tap import EventTap, publish_events, start_group_at_end, tapping
from agora_core.testing.service_harness import running_service
from agora_notifications.bootstrap import NotificationsRuntime, build
from agora_notifications.service_layer.xapi_projection import purge_stored
from agora_notifications.settings import NotificationsSettings

from .support import ManualClock, free_port, stack_settings

pytestmark = pytest.mark.integration

STATEMENT = "org.agora.xapi.statement.projected.v1"
SUFFIX = uuid.uuid4().hex[:8]
ACME, GLOBEX = f"t-acme-{SUFFIX}", f"t-globex-{SUFFIX}"
ACME_HOME = "https://learn.acme.test"
LEARNER = "u-ada"
WHEN = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
VALIDATOR = Draft202012Validator(statement_schema())


@pytest.fixture(scope="module")
async def runtime(
    kafka_bootstrap: str, notifications_dsn: str
) -> AsyncIterator[NotificationsRuntime]:
    settings = stack_settings(
        kafka_bootstrap,
        free_port(),
        postgres_dsn=notifications_dsn,
        xapi_home_page="https://{tenant}.agora.test",
        xapi_home_pages={ACME: ACME_HOME},
        xapi_activity_base="{home_page}/activities",
        xapi_extension_base="https://agora.test/xapi/extensions",
    )
    clock = ManualClock()

    async def build_with_clock(s: NotificationsSettings) -> NotificationsRuntime:
        return await build(s, clock=clock)

    await start_group_at_end(kafka_bootstrap, settings.group_id, load_platform_events().topics())
    async with running_service(build_with_clock, settings) as started:
        assert isinstance(started, NotificationsRuntime)
        yield started


def learning_event(payload: EventPayload, tenant: str, subject: str) -> OutgoingEvent:
    """Published like the catalog does: keyed by the learner."""
    return OutgoingEvent.create(
        payload,
        source="/agora/catalog",
        subject=subject,
        tenant_id=tenant,
        key=LEARNER,
        actor_id=LEARNER,
        event_id=uuid.uuid4(),
    )


def community_event(payload: EventPayload, tenant: str, target: str) -> OutgoingEvent:
    """Published like the community service does: keyed by the target."""
    return OutgoingEvent.create(
        payload, source="/agora/community", subject=target, tenant_id=tenant, event_id=uuid.uuid4()
    )


def journey(tenant: str, n: int) -> list[OutgoingEvent]:
    """One learner's events, ``n`` making ids unique; the last one has no xAPI meaning."""
    item, quiz, path = f"k-{n}", f"k-quiz-{n}", f"p-{n}"
    return [
        learning_event(
            learning.KnowledgeStartedV1(
                learner_id=LEARNER,
                item_id=item,
                item_type="video",
                item_title="Intro to SQL",
                path_id=path,
                started_at=WHEN,
            ),
            tenant,
            item,
        ),
        learning_event(
            learning.KnowledgeProgressedV1(
                learner_id=LEARNER,
                item_id=item,
                item_type="video",
                item_title="Intro to SQL",
                percent=50,
                previous_percent=0,
                progressed_at=WHEN,
            ),
            tenant,
            item,
        ),
        learning_event(
            learning.KnowledgeCompletedV1(
                learner_id=LEARNER,
                item_id=item,
                item_type="video",
                item_title="Intro to SQL",
                completed_at=WHEN,
            ),
            tenant,
            item,
        ),
        learning_event(
            learning.PathCompletedV1(
                learner_id=LEARNER, path_id=path, path_title="Onboarding", completed_at=WHEN
            ),
            tenant,
            path,
        ),
        learning_event(
            learning.QuizPassedV1(
                learner_id=LEARNER,
                item_id=quiz,
                attempt_id=f"a-{n}-2",
                attempt_number=2,
                score_percent=90,
                pass_mark_percent=70,
                graded_at=WHEN,
            ),
            tenant,
            quiz,
        ),
        learning_event(
            learning.QuizFailedV1(
                learner_id=LEARNER,
                item_id=quiz,
                attempt_id=f"a-{n}-1",
                attempt_number=1,
                score_percent=40,
                pass_mark_percent=70,
                graded_at=WHEN,
            ),
            tenant,
            quiz,
        ),
        community_event(
            community.CommentPostedV1(
                comment_id=f"c-{n}",
                target_type="knowledge",
                target_id=item,
                author_id=LEARNER,
                excerpt="Clear and short",
                posted_at=WHEN,
            ),
            tenant,
            item,
        ),
        community_event(
            community.LikeAddedV1(
                like_id=f"l-{n}",
                target_type="knowledge",
                target_id=item,
                liker_id=LEARNER,
                liked_at=WHEN,
            ),
            tenant,
            item,
        ),
        learning_event(
            learning.PathEnrolledV1(
                learner_id=LEARNER,
                path_id=path,
                path_title="Onboarding",
                self_enrolled=True,
                enrolled_at=WHEN,
            ),
            tenant,
            path,
        ),
    ]


VERBS = [
    "http://adlnet.gov/expapi/verbs/launched",
    "http://adlnet.gov/expapi/verbs/progressed",
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/passed",
    "http://adlnet.gov/expapi/verbs/failed",
    "http://adlnet.gov/expapi/verbs/commented",
    "http://activitystrea.ms/schema/1.0/like",
]


def by_source(tap: EventTap, tenant: str) -> dict[str, list[dict[str, object]]]:
    """Statements seen for ``tenant``, grouped by the id of the event they came from."""
    grouped: dict[str, list[dict[str, object]]] = {}
    for seen in tap.matching(STATEMENT, tenant=tenant):
        extensions = seen.data["context"]["extensions"]
        source = extensions["https://agora.test/xapi/extensions/event-id"]
        grouped.setdefault(source, []).append(seen.data)
    return grouped


async def test_learning_and_community_events_become_valid_statements_once(
    runtime: NotificationsRuntime, kafka_bootstrap: str
) -> None:
    events = journey(ACME, 1)
    projected = events[:-1]
    async with tapping(kafka_bootstrap, [STATEMENTS_TOPIC]) as tap:
        await publish_events(kafka_bootstrap, events)
        seen = await tap.wait_for(STATEMENT, tenant=ACME, count=len(projected))

        # Every statement: valid xAPI, id from its event, keyed and attributed to the actor.
        for tapped in seen:
            errors = [e.message for e in VALIDATOR.iter_errors(tapped.data)]
            assert errors == [], errors
            assert tapped.key == LEARNER
            assert tapped.envelope.source == "/agora/notifications"
            assert tapped.envelope.actorid == LEARNER
            assert str(tapped.envelope.id) == tapped.data["id"] == tapped.envelope.subject
            assert tapped.data["actor"] == {
                "objectType": "Agent",
                "account": {"homePage": ACME_HOME, "name": LEARNER},
            }
        statements = {s.data["id"]: s.data for s in seen}
        expected = {
            str(statement_id(e.event_id)): verb for e, verb in zip(projected, VERBS, strict=True)
        }
        assert {i: s["verb"]["id"] for i, s in statements.items()} == expected
        launched = statements[str(statement_id(projected[0].event_id))]
        assert launched["object"]["id"] == f"{ACME_HOME}/activities/knowledge/k-1"
        passed = statements[str(statement_id(projected[4].event_id))]
        assert passed["result"] == {
            "score": {"scaled": 0.9, "raw": 90.0, "min": 0.0, "max": 100.0},
            "success": True,
        }

        # Redelivery of every event, then one marker per source partition (same keys):
        # once the markers' statements are out, a duplicate would have come out before.
        await publish_events(kafka_bootstrap, events)
        markers = journey(ACME, 2)
        marker_events = [markers[0], markers[4], markers[6], markers[7]]
        await publish_events(kafka_bootstrap, marker_events)
        await tap.wait_for(
            STATEMENT,
            tenant=ACME,
            where=lambda d: d["id"] in {str(statement_id(m.event_id)) for m in marker_events},
            count=len(marker_events),
        )
        grouped = by_source(tap, ACME)
        assert all(len(copies) == 1 for copies in grouped.values()), grouped
        assert set(grouped) == {e.event_id for e in [*projected, *marker_events]}


async def test_a_tenant_only_gets_its_own_home_page(
    runtime: NotificationsRuntime, kafka_bootstrap: str
) -> None:
    acme, globex = journey(ACME, 3)[2], journey(GLOBEX, 3)[2]  # same learner id, same item
    async with tapping(kafka_bootstrap, [STATEMENTS_TOPIC]) as tap:
        await publish_events(kafka_bootstrap, [acme, globex])
        [for_globex] = await tap.wait_for(STATEMENT, tenant=GLOBEX)
        [for_acme] = await tap.wait_for(STATEMENT, tenant=ACME)
    home = f"https://{GLOBEX}.agora.test"
    assert for_globex.data["actor"]["account"] == {"homePage": home, "name": LEARNER}
    assert for_globex.data["object"]["id"] == f"{home}/activities/knowledge/k-3"
    assert ACME_HOME not in str(for_globex.data)
    assert for_acme.data["actor"]["account"]["homePage"] == ACME_HOME
    assert home not in str(for_acme.data)
    assert for_globex.data["id"] != for_acme.data["id"]


def _received(outgoing: OutgoingEvent) -> ReceivedEvent[Any]:
    return ReceivedEvent(
        envelope=CloudEventEnvelope.from_headers(outgoing.headers),
        payload=learning.KnowledgeStartedV1.model_validate_json(outgoing.value),
        topic=outgoing.topic,
        partition=0,
        offset=0,
        key=outgoing.key,
    )


async def test_the_projection_itself_is_idempotent_on_the_event_id(
    runtime: NotificationsRuntime,
) -> None:
    """A handler re-run (a redelivery after a failed commit elsewhere in the batch)."""
    projection = runtime.xapi_projection
    assert projection is not None
    received = _received(journey(ACME, 4)[0])
    async with runtime.units(ACME) as uow:
        before = len(await uow.xapi_statements.of_actor(LEARNER))
    for expected in (True, False):
        async with runtime.units(ACME) as uow:
            assert await projection.handle(received, uow) is expected
    async with runtime.units(ACME) as uow:
        assert len(await uow.xapi_statements.of_actor(LEARNER)) == before + 1


async def test_stored_statements_are_purged_after_the_retention_window(
    runtime: NotificationsRuntime,
) -> None:
    projection = runtime.xapi_projection
    assert projection is not None
    assert runtime.xapi_retention is not None
    assert runtime.xapi_retention.running
    tenant = f"t-retention-{SUFFIX}"
    outgoing = journey(tenant, 5)[0]
    stored_at = runtime.clock.now()
    async with runtime.units(tenant) as uow:
        assert await projection.handle(_received(outgoing), uow) is True

    async def left() -> int:
        async with runtime.units(tenant) as uow:
            return len(await uow.xapi_statements.of_actor(LEARNER))

    assert [n async for n in purge_stored(projection, runtime.units, stored_at)] != []
    assert await left() == 1, "not older than the cutoff: kept"
    later = stored_at + timedelta(seconds=1)
    assert sum([n async for n in purge_stored(projection, runtime.units, later)]) >= 1
    assert await left() == 0


async def test_an_erased_person_gets_no_more_statements_and_their_documents_go(
    runtime: NotificationsRuntime, kafka_bootstrap: str
) -> None:
    tenant = f"t-erase-{SUFFIX}"
    before = journey(tenant, 6)[2]  # a completion, projected before the erasure
    async with tapping(kafka_bootstrap, [STATEMENTS_TOPIC]) as tap:
        await publish_events(kafka_bootstrap, [before])
        await tap.wait_for(STATEMENT, tenant=tenant)
        erased = OutgoingEvent.create(
            PersonErasedV1(
                erasure_id=f"er-{SUFFIX}",
                person_id=LEARNER,
                requested_by="u-admin",
                reason="data_subject_request",
                requested_at=WHEN,
            ),
            source="/agora/community",
            subject=LEARNER,
            key=LEARNER,
            tenant_id=tenant,
        )
        await publish_events(kafka_bootstrap, [erased])

        async def statements_gone() -> bool:
            async with runtime.units(tenant) as uow:
                return await uow.xapi_statements.of_actor(LEARNER) == []

        await eventually(statements_gone)
        # A later event about the person (consumed after the erasure) gives nothing;
        # another learner's event behind it on the same partition proves it was handled.
        after = journey(tenant, 7)[2]
        other = OutgoingEvent.create(
            learning.KnowledgeCompletedV1(
                learner_id="u-bob",
                item_id="k-bob",
                item_type="video",
                item_title="Intro to SQL",
                completed_at=WHEN,
            ),
            source="/agora/catalog",
            subject="k-bob",
            tenant_id=tenant,
            key=LEARNER,  # same partition as ``after``: handled after it
            actor_id="u-bob",
        )
        await publish_events(kafka_bootstrap, [after, other])
        await tap.wait_for(
            STATEMENT, tenant=tenant, where=lambda d: d["actor"]["account"]["name"] == "u-bob"
        )
        names = [e.data["actor"]["account"]["name"] for e in tap.matching(STATEMENT, tenant=tenant)]
        assert names == [LEARNER, "u-bob"]
