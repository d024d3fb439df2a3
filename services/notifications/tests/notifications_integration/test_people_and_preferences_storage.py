"""Profiles and preference layers on PostgreSQL: round trips through the repositories,
the nudge slot following the profile, the three layers of a notification in one read,
tenant isolation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time

import pytest

from agora_core.postgres import Database
from agora_core.testing.postgres import migrated_database
from agora_notifications.adapters.postgres.unit_of_work import PostgresUnitOfWorkFactory
from agora_notifications.domain.model import Channel, DigestMode, NudgeCadence, Profile
from agora_notifications.domain.preferences import ChannelSetting, PreferenceLayer, QuietHours
from agora_notifications.domain.schedule import next_nudge_time
from agora_notifications.migrations import MIGRATIONS

pytestmark = pytest.mark.integration

T = "t-people"
NOW = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


@pytest.fixture
async def database(postgres_dsn: str) -> AsyncIterator[Database]:
    async with migrated_database(postgres_dsn, MIGRATIONS) as migrated:
        yield migrated


async def _nudge_slots(database: Database) -> list[tuple[object, ...]]:
    async with database.unit_of_work() as core:
        cursor = await core.connection.execute(
            "SELECT tenant_id, person_id, due_at FROM nudge_queue"
        )
        return list(await cursor.fetchall())


async def test_a_profile_round_trips_and_its_nudge_slot_follows(database: Database) -> None:
    units = PostgresUnitOfWorkFactory(database)
    weekly = Profile(
        person_id="u-1",
        email="ada@example.com",
        locale="fr",
        time_zone="Europe/Paris",
        nudge_cadence=NudgeCadence.WEEKLY,
        nudge_hour=8,
        nudge_weekday=3,
    )
    async with units(T) as uow:
        assert await uow.people.profile("u-1") == Profile(person_id="u-1"), "defaults"
        await uow.people.save_profile(weekly, NOW)
    async with units(T) as uow:
        assert await uow.people.profile("u-1") == weekly
    due = next_nudge_time(NOW, NudgeCadence.WEEKLY, "Europe/Paris", 8, 3)
    assert await _nudge_slots(database) == [(T, "u-1", due)]
    async with units(T) as uow:
        await uow.people.save_profile(Profile(person_id="u-1", email="ada@example.com"), NOW)
    assert await _nudge_slots(database) == [], "nudges off: no slot"
    async with units("t-other") as uow:
        assert await uow.people.profile("u-1") == Profile(person_id="u-1")


async def test_preference_layers_round_trip_and_come_in_one_read(database: Database) -> None:
    units = PostgresUnitOfWorkFactory(database)
    tenant_layer = PreferenceLayer(
        {"mention": {Channel.EMAIL: ChannelSetting(enabled=False)}},
        QuietHours(time(22, 0), time(7, 30)),
        frozenset({"assignment_overdue"}),
    )
    space_layer = PreferenceLayer(
        {"*": {Channel.EMAIL: ChannelSetting(enabled=True, digest=DigestMode.DAILY)}}
    )
    person_layer = PreferenceLayer({"badge_awarded": {Channel.INBOX: ChannelSetting(enabled=None)}})
    async with units(T) as uow:
        await uow.preferences.put("tenant", "", tenant_layer, NOW)
        await uow.preferences.put("space", "s-1", space_layer, NOW)
        await uow.preferences.put("person", "u-1", PreferenceLayer(), NOW)
        await uow.preferences.put("person", "u-1", person_layer, NOW)  # replaces
        await uow.preferences.put("person", "u-2", PreferenceLayer(), NOW)
    async with units(T) as uow:
        assert await uow.preferences.get("tenant", "") == tenant_layer
        assert await uow.preferences.get("space", "s-2") is None
        assert await uow.preferences.layers("s-1", "u-1") == (
            tenant_layer,
            space_layer,
            person_layer,
        )
        assert await uow.preferences.layers(None, "u-3") == (tenant_layer, None, None)
    async with units("t-other") as uow:
        assert await uow.preferences.layers("s-1", "u-1") == (None, None, None)
