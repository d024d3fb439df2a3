"""The webhook-subscription repository on PostgreSQL: round trip, rotation arithmetic,
row-level security, and each query served by its named index."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from agora_core.postgres import Database
from agora_core.testing.postgres import assert_index_serves, migrated_database, query_plan
from agora_notifications.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_notifications.adapters.postgres.webhook_subscriptions import (
    ALL_OF_TENANT,
    FIRST_PAGE,
    GET,
    NEXT_PAGE,
    SECRETS_OF,
)
from agora_notifications.domain.webhooks import WebhookSecret, WebhookSubscription
from agora_notifications.migrations import MIGRATIONS

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as migrated:
        yield migrated


def subscription(sid: str, at: datetime) -> WebhookSubscription:
    return WebhookSubscription(
        subscription_id=sid,
        url=f"https://hooks.example/{sid}",
        event_types=("org.agora.learning.knowledge.completed.v1",),
        subjects=("u-ada",),
        description="d",
        created_at=at,
        updated_at=at,
        secrets=(WebhookSecret(f"{sid}-k1", "whsec_AAAA", at),),
    )


async def test_round_trip_rotation_and_tenant_isolation(database: Database) -> None:
    uow = PostgresUnitOfWorkFactory(database)
    async with uow("t-a") as work:
        await work.webhook_subscriptions.add(subscription("s1", NOW))
        await work.webhook_subscriptions.add_secret(
            "s1", WebhookSecret("s1-k2", "whsec_BBBB", NOW + timedelta(seconds=1))
        )
        await work.webhook_subscriptions.expire_secrets(
            "s1", keep="s1-k2", at=NOW + timedelta(hours=1), now=NOW
        )
    async with uow("t-a") as work:
        found = await work.webhook_subscriptions.get("s1")
        # A second rotation with a longer overlap does not extend the ending secret.
        await work.webhook_subscriptions.add_secret(
            "s1", WebhookSecret("s1-k3", "whsec_CCCC", NOW + timedelta(seconds=2))
        )
        await work.webhook_subscriptions.expire_secrets(
            "s1", keep="s1-k3", at=NOW + timedelta(hours=24), now=NOW
        )
        again = await work.webhook_subscriptions.get("s1")
    assert found is not None
    assert found.event_types == ("org.agora.learning.knowledge.completed.v1",)
    assert [(s.secret_id, s.expires_at) for s in found.secrets] == [
        ("s1-k1", NOW + timedelta(hours=1)),
        ("s1-k2", None),
    ]
    assert again is not None
    assert [(s.secret_id, s.expires_at) for s in again.secrets] == [
        ("s1-k1", NOW + timedelta(hours=1)),
        ("s1-k2", NOW + timedelta(hours=24)),
        ("s1-k3", None),
    ]
    async with uow("t-b") as work:
        assert await work.webhook_subscriptions.get("s1") is None
        assert await work.webhook_subscriptions.routing() == []
        assert await work.webhook_subscriptions.count() == 0
        assert not await work.webhook_subscriptions.delete("s1")
    async with uow("t-a") as work:
        [routed] = await work.webhook_subscriptions.routing()
        assert routed.secrets == (), "routing never loads secrets"
        assert await work.webhook_subscriptions.delete("s1")
    async with database.unit_of_work("t-a") as core:
        cursor = await core.connection.execute("SELECT count(*) FROM webhook_secrets")
        assert await cursor.fetchone() == (0,), "secrets go with their subscription"


async def test_each_query_is_served_by_its_index(database: Database) -> None:
    after = (NOW, "s1")
    for query, params, index in (
        (FIRST_PAGE, ("t-a", 50), "webhook_subscriptions_by_creation"),
        (NEXT_PAGE, ("t-a", *after, 50), "webhook_subscriptions_by_creation"),
        (ALL_OF_TENANT, ("t-a",), "webhook_subscriptions_by_creation"),
        (GET, ("t-a", "s1"), "webhook_subscriptions_pkey"),
    ):
        plan = await query_plan(database, query, params, tenant_id="t-a")
        assert_index_serves(plan, index)
    # A subscription has a handful of secrets (at most 5 sign at once): sorting those
    # few rows and dropping the expired ones after the key lookup is intended.
    plan = await query_plan(database, SECRETS_OF, ("t-a", ["s1", "s2"]), tenant_id="t-a")
    assert_index_serves(plan, "webhook_secrets_pkey", filtered=True, sorted_after=True)
