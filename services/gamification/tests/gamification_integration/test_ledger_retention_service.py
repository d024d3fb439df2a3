"""Ledger retention through the real service: the tenant setting over gRPC (bounds
refused naming the field), the background purge on real events, and ListLedgerEntries
paging through the carried entry."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import AsyncIterator

import grpc
import pytest

from agora.gamification.v1 import gamification_pb2 as pb
from agora_core.runtime import ServiceRuntime
from agora_core.testing import eventually
from agora_core.testing.event_tap import publish_events
from agora_core.testing.grpc_assertions import assert_status, caller, rpc_error
from agora_core.testing.service_harness import running_service
from agora_gamification.bootstrap import build
from agora_gamification.domain.retention import CARRIED_FORWARD

from .conftest import MovableClock, gamification_settings, start_group_at_end
from .storage import ledger_sum, rows
from .streams import T0, WAIT, Stub, completed

pytestmark = pytest.mark.integration

NOW = T0 + dt.timedelta(days=60)
HORIZON = dt.datetime(2026, 12, 23, tzinfo=dt.UTC)  # 00:00 UTC, 30 days before NOW


@pytest.fixture(scope="module")
async def service(
    kafka_bootstrap: str, module_postgres_dsn: str, clock: MovableClock
) -> AsyncIterator[ServiceRuntime]:
    """This module's service purges every 0.2 s, two months after the events."""
    clock.now = NOW
    await start_group_at_end(kafka_bootstrap)
    settings = gamification_settings(kafka_bootstrap, module_postgres_dsn, ledger_purge_seconds=0.2)
    async with running_service(functools.partial(build, clock=clock), settings) as runtime:
        yield runtime


@pytest.mark.parametrize("days", [-1, 1, 29, 3651])
async def test_a_retention_out_of_bounds_is_refused_naming_the_field(stub: Stub, days: int) -> None:
    error = await rpc_error(
        stub.PutTenantSettings(
            pb.PutTenantSettingsRequest(settings=pb.TenantSettings(ledger_retention_days=days)),
            metadata=caller(("admin",)),
        )
    )
    assert_status(error, grpc.StatusCode.INVALID_ARGUMENT, field="settings.ledger_retention_days")


async def test_the_service_folds_old_entries_and_lists_the_carried_one(
    stub: Stub, service: ServiceRuntime, kafka_bootstrap: str
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    admin = caller(("admin",), tenant=tenant, subject="u-admin")
    put = await stub.PutTenantSettings(
        pb.PutTenantSettingsRequest(
            settings=pb.TenantSettings(time_zone="Europe/Paris", ledger_retention_days=30)
        ),
        metadata=admin,
    )
    assert put.settings.ledger_retention_days == 30
    read = await stub.GetTenantSettings(pb.GetTenantSettingsRequest(), metadata=admin)
    assert (read.settings.ledger_retention_days, read.settings.time_zone) == (30, "Europe/Paris")

    recent = T0 + dt.timedelta(days=50)
    await publish_events(
        kafka_bootstrap,
        [
            completed(tenant, "ada", "k-1"),
            completed(tenant, "ada", "k-2", at=T0 + dt.timedelta(minutes=5)),
            completed(tenant, "ada", "k-3", at=recent),
            completed(tenant, "bob", "k-1"),
        ],
    )
    ada = caller(("learner",), tenant=tenant, subject="ada")

    async def listed() -> list[pb.LedgerEntry]:
        """Ada's whole ledger, newest first, a page of one at a time."""
        entries: list[pb.LedgerEntry] = []
        token = ""
        while True:
            page = await stub.ListLedgerEntries(
                pb.ListLedgerEntriesRequest(page_size=1, page_token=token), metadata=ada
            )
            entries.extend(page.entries)
            if not page.next_page_token:
                return entries
            token = page.next_page_token

    async def folded() -> bool:
        # Old day: two completions (10 each) and a streak day (5); recent: 10 + 5.
        return [(e.rule_id, e.points) for e in await listed()][-1:] == [(CARRIED_FORWARD, 25)] and (
            await ledger_sum(service, tenant, "ada") == 40
        )

    await eventually(folded, timeout=WAIT)
    entries = await listed()
    assert sorted((e.rule_id, e.points) for e in entries) == [
        (CARRIED_FORWARD, 25),
        ("completion", 10),
        ("streak-day", 5),
    ]
    carried = entries[-1]
    assert carried.awarded_at.ToDatetime(dt.UTC) == HORIZON
    assert (carried.rule_version, carried.source_event_id, carried.source_event_type) == (0, "", "")
    balance = await rows(
        service,
        tenant,
        "SELECT learner_id, balance FROM profiles WHERE tenant_id = %s ORDER BY learner_id",
        (tenant,),
    )
    assert balance == [("ada", 40), ("bob", 15)]
    assert await ledger_sum(service, tenant, "bob") == 15
    bob = await rows(
        service,
        tenant,
        "SELECT rule_id, points FROM ledger WHERE tenant_id = %s AND learner_id = 'bob'",
        (tenant,),
    )
    assert bob == [(CARRIED_FORWARD, 15)]
