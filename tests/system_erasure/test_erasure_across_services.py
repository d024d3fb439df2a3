"""Right to erasure across the platform: one ErasePerson, four services, then every
stored value of every service's database is searched for the person.

All four services run in-process on the real broker and their own PostgreSQL
databases, each with its own database and consumer
group, started at the end of the topics so nothing earlier is replayed, with a real
SMTP server on loopback. Data about the person is created through the services' own
gRPC APIs and the events they exchange: a completion, a comment, likes given and
received, a question answered (inbox and email), points, notification preferences.
The same person id lives in a second tenant, which must keep everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import grpc
import pytest
from aiosmtpd.controller import Controller

from agora.catalog.v1 import catalog_pb2 as cat
from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceStub
from agora.community.v1 import community_pb2 as com
from agora.community.v1 import privacy_pb2 as priv
from agora.community.v1.community_pb2_grpc import CommunityServiceStub
from agora.community.v1.privacy_pb2_grpc import PrivacyServiceStub
from agora.gamification.v1 import gamification_pb2 as gam
from agora.gamification.v1.gamification_pb2_grpc import GamificationServiceStub
from agora.notifications.v1 import notifications_pb2 as notif
from agora.notifications.v1.notifications_pb2_grpc import NotificationsServiceStub
from agora_catalog.bootstrap import build as build_catalog
from agora_catalog.settings import CatalogSettings
from agora_community.bootstrap import build as build_community
from agora_community.settings import CommunitySettings
from agora_contracts.events.domains.privacy import ERASED_PERSON_PLACEHOLDER
from agora_contracts.events.schemas import load_platform_events
from agora_core.ports import free_port
from agora_core.postgres import Database
from agora_core.runtime import ServiceRuntime
from agora_core.testing import eventually
from agora_core.testing.event_tap import start_group_at_end
from agora_core.testing.grpc_assertions import Metadata, assert_status, caller, rpc_error
from agora_core.testing.postgres import create_test_database, drop_test_database
from agora_core.testing.service_harness import channel_to, running_service, test_settings
from agora_gamification.bootstrap import build as build_gamification
from agora_gamification.settings import GamificationSettings
from agora_notifications.bootstrap import build as build_notifications
from agora_notifications.settings import NotificationsSettings

from .stores import PostgresStore, ServiceStore

if TYPE_CHECKING:
    from agora.catalog.v1.catalog_pb2_grpc import CatalogServiceAsyncStub
    from agora.community.v1.community_pb2_grpc import CommunityServiceAsyncStub
    from agora.community.v1.privacy_pb2_grpc import PrivacyServiceAsyncStub
    from agora.gamification.v1.gamification_pb2_grpc import GamificationServiceAsyncStub
    from agora.notifications.v1.notifications_pb2_grpc import NotificationsServiceAsyncStub

pytestmark = pytest.mark.system

WAIT = 180.0
"""Seconds to wait for a cross-service outcome (the 2-core machine is shared)."""


class Mailbox:
    """aiosmtpd handler keeping what it receives (the platform really sends mail)."""

    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


@dataclass
class Platform:
    catalog: CatalogServiceAsyncStub
    community: CommunityServiceAsyncStub
    privacy: PrivacyServiceAsyncStub
    gamification: GamificationServiceAsyncStub
    notifications: NotificationsServiceAsyncStub
    stores: dict[str, ServiceStore]
    ledger: Database
    """Gamification's database (its ledger)."""
    mailbox: Mailbox


@pytest.fixture(scope="module")
async def platform(kafka_bootstrap: str, postgres_admin_dsn: str) -> AsyncIterator[Platform]:
    run = uuid.uuid4().hex[:8]
    topics = load_platform_events().topics()
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    public_port = free_port()

    def settings_of(cls: type[Any], service: str, **extra: object) -> Any:
        return test_settings(
            cls,
            kafka=kafka_bootstrap,
            consumer_group=f"agora-{service}-system-erasure-{run}",
            **extra,
        )

    catalog_database, catalog_dsn = await create_test_database(
        postgres_admin_dsn, prefix="sys_erasure_catalog"
    )
    community_database, community_dsn = await create_test_database(
        postgres_admin_dsn, prefix="sys_erasure_community"
    )
    gamification_database, gamification_dsn = await create_test_database(
        postgres_admin_dsn, prefix="sys_erasure_gamification"
    )
    notifications_database, notifications_dsn = await create_test_database(
        postgres_admin_dsn, prefix="sys_erasure_notifications"
    )
    settings = {
        "catalog": test_settings(
            CatalogSettings,
            kafka=kafka_bootstrap,
            postgres_dsn=catalog_dsn,
            consumer_group=f"agora-catalog-system-erasure-{run}",
        ),
        "community": test_settings(
            CommunitySettings,
            kafka=kafka_bootstrap,
            postgres_dsn=community_dsn,
            consumer_group=f"agora-community-system-erasure-{run}",
        ),
        "gamification": test_settings(
            GamificationSettings,
            kafka=kafka_bootstrap,
            postgres_dsn=gamification_dsn,
            consumer_group=f"agora-gamification-system-erasure-{run}",
        ),
        "notifications": settings_of(
            NotificationsSettings,
            "notifications",
            postgres_dsn=notifications_dsn,
            smtp_port=smtp.port,
            public_port=public_port,
            public_base_url=f"http://127.0.0.1:{public_port}",
            delivery_poll_interval_ms=50,
            scheduler_interval_seconds=3600,
        ),
    }
    for service_settings in settings.values():
        await start_group_at_end(kafka_bootstrap, service_settings.group_id, topics)
    try:
        async with contextlib.AsyncExitStack() as stack:
            runtimes: dict[str, ServiceRuntime] = {}
            for name, build in (
                ("catalog", build_catalog),
                ("community", build_community),
                ("gamification", build_gamification),
                ("notifications", build_notifications),
            ):
                runtimes[name] = await stack.enter_async_context(
                    running_service(build, settings[name])
                )
            channels = {
                name: await stack.enter_async_context(channel_to(runtime))
                for name, runtime in runtimes.items()
            }
            yield Platform(
                catalog=CatalogServiceStub(channels["catalog"]),
                community=CommunityServiceStub(channels["community"]),
                privacy=PrivacyServiceStub(channels["community"]),
                gamification=GamificationServiceStub(channels["gamification"]),
                notifications=NotificationsServiceStub(channels["notifications"]),
                stores={
                    name: PostgresStore(runtime.require_postgres())
                    for name, runtime in runtimes.items()
                },
                ledger=runtimes["gamification"].require_postgres(),
                mailbox=mailbox,
            )
    finally:
        await drop_test_database(postgres_admin_dsn, catalog_database)
        await drop_test_database(postgres_admin_dsn, community_database)
        await drop_test_database(postgres_admin_dsn, gamification_database)
        await drop_test_database(postgres_admin_dsn, notifications_database)
        smtp.stop()


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    email: str


async def published_item(p: Platform, tenant: str) -> str:
    """An approved wiki item by Grace, in the tenant's catalog."""
    admin = caller(("admin",), tenant=tenant, subject="u-admin")
    grace = caller(("contributor",), tenant=tenant, subject="u-grace")
    await p.catalog.UpsertTheme(
        cat.UpsertThemeRequest(theme_id="data", name="Data"), metadata=admin
    )
    await p.catalog.UpsertSkill(
        cat.UpsertSkillRequest(skill_id="sql", name="SQL", expert_ids=["u-linus"]), metadata=admin
    )
    draft = cat.ItemDraft(
        title="Indexes explained",
        language="en",
        estimated_minutes=10,
        theme_ids=["data"],
        skills=[cat.SkillLevel(skill_id="sql", level=2)],
        wiki=cat.WikiContent(markdown="Use **indexes**."),
    )
    item = (await p.catalog.CreateItem(cat.CreateItemRequest(item=draft), metadata=grace)).item
    await p.catalog.SubmitItem(cat.SubmitItemRequest(item_id=item.item_id), metadata=grace)
    await p.catalog.ClaimReview(cat.ClaimReviewRequest(item_id=item.item_id), metadata=admin)
    await p.catalog.ReviewItem(
        cat.ReviewItemRequest(item_id=item.item_id, decision=cat.REVIEW_DECISION_APPROVED),
        metadata=admin,
    )
    return item.item_id


async def community_knows(p: Platform, tenant: str, target: com.Target) -> None:
    reader = caller(("learner",), tenant=tenant, subject="u-reader")

    async def known() -> bool:
        try:
            await p.community.ListComments(
                com.ListCommentsRequest(target=target, page_size=1), metadata=reader
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return False
            raise
        return True

    await eventually(known, timeout=WAIT)


async def life_of(p: Platform, tenant: str, ada: Person) -> dict[str, str]:
    """Ada learns, comments, likes, asks; Bob likes her comment and answers her."""
    me: Metadata = caller(("learner", "contributor"), tenant=tenant, subject=ada.id)
    bob: Metadata = caller(("learner",), tenant=tenant, subject="u-bob")
    await p.notifications.UpdateMyProfile(
        notif.UpdateMyProfileRequest(profile=notif.Profile(email=ada.email, locale="en")),
        metadata=me,
    )
    await p.notifications.SetPreferences(
        notif.SetPreferencesRequest(
            layer=notif.PreferenceLayer(
                scope=notif.SCOPE_PERSON,
                categories=[
                    notif.CategoryPreference(
                        category="answer_posted",
                        channels=[
                            notif.ChannelSetting(
                                channel=notif.CHANNEL_EMAIL, enabled=notif.TOGGLE_ON
                            )
                        ],
                    )
                ],
            )
        ),
        metadata=me,
    )
    item = await published_item(p, tenant)
    target = com.Target(type=com.TARGET_TYPE_KNOWLEDGE, id=item)
    await community_knows(p, tenant, target)
    await p.catalog.StartItem(cat.StartItemRequest(item_id=item), metadata=me)
    await p.catalog.CompleteItem(cat.CompleteItemRequest(item_id=item), metadata=me)
    comment = await p.community.PostComment(
        com.PostCommentRequest(target=target, body="Clear and short, thanks @u-grace"), metadata=me
    )
    await p.community.Like(com.LikeRequest(target=target), metadata=me)
    await p.community.Like(
        com.LikeRequest(
            target=com.Target(type=com.TARGET_TYPE_COMMENT, id=comment.comment.comment_id)
        ),
        metadata=bob,
    )
    question = await p.community.AskQuestion(
        com.AskQuestionRequest(
            title="Covering indexes?", body="When do they help?", skill_ids=["sql"]
        ),
        metadata=me,
    )
    await p.community.PostAnswer(
        com.PostAnswerRequest(question_id=question.question.question_id, body="Read-heavy paths"),
        metadata=bob,
    )

    async def everything_arrived() -> bool:
        inbox = await p.notifications.ListInbox(notif.ListInboxRequest(), metadata=me)
        got = await p.catalog.GetItem(cat.GetItemRequest(item_id=item), metadata=me)
        ledger = await ledger_rules(p, tenant, ada.id)
        return (
            any(n.category == "answer_posted" for n in inbox.notifications)
            and ada.email in p.mailbox.recipients
            and (got.item.like_count, got.item.comment_count) == (1, 1)
            and {"completion", "like-received"} <= set(ledger)
        )

    await eventually(everything_arrived, timeout=WAIT)
    return {"item": item, "comment": comment.comment.comment_id}


async def ledger_rules(p: Platform, tenant: str, learner: str) -> list[str]:
    """The rules that credited ``learner`` (gamification's ledger)."""
    async with p.ledger.unit_of_work(tenant) as uow:
        cursor = await uow.connection.execute(
            "SELECT DISTINCT rule_id FROM ledger WHERE tenant_id = %s AND learner_id = %s",
            (tenant, learner),
        )
        return [str(row[0]) for row in await cursor.fetchall()]


async def ledger_totals(p: Platform, tenant: str) -> dict[str, int]:
    async with p.ledger.unit_of_work(tenant) as uow:
        cursor = await uow.connection.execute(
            "SELECT learner_id, sum(points) FROM ledger WHERE tenant_id = %s GROUP BY learner_id",
            (tenant,),
        )
        return {str(learner): int(total) for learner, total in await cursor.fetchall()}


async def test_an_erased_person_leaves_no_trace_in_any_service_of_the_tenant(
    platform: Platform,
) -> None:
    p = platform
    tenant, other = f"t-{uuid.uuid4().hex[:10]}", f"t-{uuid.uuid4().hex[:10]}"
    key = uuid.uuid4().hex[:6]
    ada = Person(f"u-ada-{key}", f"Ada Lovelace {key}", f"ada.{key}@example.org")
    ids, _ = await asyncio.gather(life_of(p, tenant, ada), life_of(p, other, ada))
    for service, store in p.stores.items():
        assert await store.traces(ids=[ada.id], tenant_id=tenant), (
            f"{service} should hold data about the person before the erasure"
        )
    totals_before = await ledger_totals(p, tenant)
    ada_points = (
        await p.gamification.GetProfile(
            gam.GetProfileRequest(learner_id=ada.id),
            metadata=caller(("learner",), tenant=tenant, subject=ada.id),
        )
    ).profile.points
    assert ada_points == totals_before[ada.id] > 0

    erasure = await p.privacy.ErasePerson(
        priv.ErasePersonRequest(person_id=ada.id, reason=priv.ERASURE_REASON_DATA_SUBJECT_REQUEST),
        metadata=caller(("admin",), tenant=tenant, subject="u-admin"),
    )
    assert erasure.created

    async def erased_everywhere() -> bool:
        for store in p.stores.values():
            if not await store.erased(tenant, ada.id):
                return False
        return all([await store.drained() for store in p.stores.values()])

    await eventually(erased_everywhere, timeout=WAIT)

    # Every collection, every document, every string of the tenant, in all four services.
    for service, store in p.stores.items():
        traces = await store.traces(ids=[ada.id], texts=[ada.email, ada.name], tenant_id=tenant)
        assert traces == [], f"{service} still holds:\n" + "\n".join(map(str, traces))
        assert await store.traces(ids=[ada.id], tenant_id=other), (
            f"{service} erased the person in the other tenant too"
        )

    # Ada's token (not yet revoked by the identity provider) no longer works in this
    # tenant, in any service, so nothing about her can be written again.
    gone = caller(("learner", "contributor"), tenant=tenant, subject=ada.id)
    target = com.Target(type=com.TARGET_TYPE_KNOWLEDGE, id=ids["item"])
    for call in (
        p.catalog.ListMyProgress(cat.ListMyProgressRequest(), metadata=gone),
        p.community.Like(com.LikeRequest(target=target), metadata=gone),
        p.gamification.GetProfile(gam.GetProfileRequest(learner_id=ada.id), metadata=gone),
        p.notifications.ListInbox(notif.ListInboxRequest(), metadata=gone),
    ):
        assert_status(await rpc_error(call), grpc.StatusCode.UNAUTHENTICATED)

    # Aggregates stay consistent: the same like and comment counts in catalog and
    # community, every ledger amount kept, Ada's under one unlinkable pseudonym.
    reader = caller(("learner",), tenant=tenant, subject="u-reader")
    item = (await p.catalog.GetItem(cat.GetItemRequest(item_id=ids["item"]), metadata=reader)).item
    popularity = (
        await p.community.GetPopularity(
            com.GetPopularityRequest(
                targets=[com.Target(type=com.TARGET_TYPE_KNOWLEDGE, id=ids["item"])]
            ),
            metadata=reader,
        )
    ).popularity[0]
    assert (item.like_count, item.comment_count) == (1, 1)
    assert (popularity.likes, popularity.comments) == (item.like_count, item.comment_count)
    totals_after = await ledger_totals(p, tenant)
    assert sum(totals_after.values()) == sum(totals_before.values())
    [pseudonym] = set(totals_after) - set(totals_before)
    assert pseudonym.startswith("erased-")
    assert totals_after[pseudonym] == ada_points
    comment = (
        await p.community.GetComment(
            com.GetCommentRequest(comment_id=ids["comment"]), metadata=reader
        )
    ).comment
    assert comment.author_id == ERASED_PERSON_PLACEHOLDER
