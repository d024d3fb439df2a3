"""A repeat caller is verified without reading the tombstones, and only as safely as
reading them: an erasure's commit notifies every watch, which makes each verifier read
again, and so refuse the erased caller; no watch that listens, no remembering.

Real server: the tombstones, the notification and the watch's own connection."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from core_grpc.helpers import DEV_SECRET

from agora_core.errors import Unauthenticated
from agora_core.grpc.dev_tokens import mint_dev_token
from agora_core.postgres import Database
from agora_core.postgres.channel_watch import ChannelWatch, Listener
from agora_core.privacy.callers import ErasedCallerVerifier
from agora_core.privacy.postgres import ERASED_CHANNEL, PostgresErasedPersons, PostgresPersonEraser
from agora_core.settings import ServiceSettings, load_settings
from agora_core.testing import eventually

pytestmark = pytest.mark.integration

SETTINGS = load_settings(ServiceSettings, dev_mode=True, jwt_hs256_secret=DEV_SECRET)
ADA = mint_dev_token(DEV_SECRET, "u-ada", "acme", ["learner"])
BOB = mint_dev_token(DEV_SECRET, "u-bob", "acme", ["learner"])


class CountedReads:
    """The real tombstones, counting the reads made through them."""

    def __init__(self, database: Database) -> None:
        self._tombstones = PostgresErasedPersons(database)
        self.reads = 0

    async def is_erased(self, tenant_id: str, person_id: str) -> bool:
        self.reads += 1
        return await self._tombstones.is_erased(tenant_id, person_id)


def listening(watch: ChannelWatch, *, now: bool = True) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return watch.listening is now

    return check


def moved(watch: ChannelWatch, since: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return watch.generation != since

    return check


@pytest.fixture
async def watch(postgres_dsn: str, counters_db: Database) -> AsyncIterator[ChannelWatch]:
    listener = Listener(postgres_dsn, name="test-erased")
    watch = listener.watch(ERASED_CHANNEL)
    listener.start()
    await eventually(listening(watch), timeout=10)
    yield watch
    await listener.stop()


async def _erase(database: Database, person: str) -> None:
    eraser = PostgresPersonEraser(database, [])
    async with database.unit_of_work("acme") as uow:
        await eraser.erase(uow, "acme", person)


async def test_a_repeat_caller_costs_one_read_until_an_erasure_is_notified(
    counters_db: Database, watch: ChannelWatch
) -> None:
    reads = CountedReads(counters_db)
    verifier = ErasedCallerVerifier(SETTINGS, reads, watch=watch)
    for _ in range(5):
        assert (await verifier.verify(ADA)).subject == "u-ada"
        assert (await verifier.verify(BOB)).subject == "u-bob"
    assert reads.reads == 2

    before = watch.generation
    await _erase(counters_db, "u-ada")
    await eventually(moved(watch, before), timeout=10)
    with pytest.raises(Unauthenticated, match="erased"):
        await verifier.verify(ADA)
    with pytest.raises(Unauthenticated, match="erased"):
        await verifier.verify(ADA)  # never remembered as erased either: read each time
    assert (await verifier.verify(BOB)).subject == "u-bob"  # read again, then remembered
    assert (await verifier.verify(BOB)).subject == "u-bob"
    assert reads.reads == 2 + 3


async def test_without_a_listening_watch_or_past_the_bound_every_call_reads(
    postgres_dsn: str, counters_db: Database, watch: ChannelWatch
) -> None:
    unwatched, stopped, expired = (CountedReads(counters_db) for _ in range(3))
    without = ErasedCallerVerifier(SETTINGS, unwatched)
    forgetful = ErasedCallerVerifier(SETTINGS, expired, watch=watch, remember_seconds=0)
    deaf_watch = Listener(postgres_dsn, name="test-deaf").watch(ERASED_CHANNEL)  # not started
    deaf = ErasedCallerVerifier(SETTINGS, stopped, watch=deaf_watch)
    for _ in range(3):
        await without.verify(ADA)
        await forgetful.verify(ADA)
        await deaf.verify(ADA)
    assert (unwatched.reads, expired.reads, stopped.reads) == (3, 3, 3)


async def test_a_watch_that_cannot_connect_never_claims_to_listen() -> None:
    listener = Listener("postgresql://nobody:wrong@127.0.0.1:9/none?connect_timeout=1", name="t")
    watch = listener.watch(ERASED_CHANNEL)
    listener.start()
    try:
        with pytest.raises(AssertionError, match="not met"):
            await eventually(listening(watch), timeout=2)
    finally:
        await listener.stop()


async def test_a_watch_whose_connection_is_killed_stops_listening_then_listens_again(
    counters_db: Database, watch: ChannelWatch
) -> None:
    async with counters_db.pool.connection() as connection:
        await connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'agora-test-erased'"
        )
    await eventually(listening(watch, now=False), timeout=10, interval=0.01)
    await eventually(listening(watch), timeout=10)
