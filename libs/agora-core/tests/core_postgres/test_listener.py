"""One LISTEN connection per process follows every channel it watches: each channel
listens once its own probe came back, and a notification moves its channel's
generation only (the relay's wake-up through it: ``test_outbox_relay.py``).

Real server: the notifications and the listener's connection."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from agora_core.postgres import Database
from agora_core.postgres.channel_watch import ChannelWatch, Listener
from agora_core.privacy.postgres import ERASED_CHANNEL
from agora_core.testing import eventually

pytestmark = pytest.mark.integration

OTHER = "agora_test_other"


def both_listening(*watches: ChannelWatch) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return all(w.listening for w in watches)

    return check


async def _connections(database: Database, application: str) -> int:
    async with database.pool.connection() as connection:
        cursor = await connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (application,)
        )
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _notify(database: Database, channel: str) -> None:
    async with database.pool.connection() as connection:
        await connection.execute("SELECT pg_notify(%s, 'hello')", (channel,))


async def test_channels_share_one_connection_and_keep_their_own_generations(
    postgres_dsn: str, counters_db: Database
) -> None:
    listener = Listener(postgres_dsn, name="test-two")
    erased, other = listener.watch(ERASED_CHANNEL), listener.watch(OTHER)
    with pytest.raises(ValueError, match="already watched"):
        listener.watch(OTHER)
    listener.start()
    try:
        await eventually(both_listening(erased, other), timeout=10)
        assert await _connections(counters_db, "agora-test-two") == 1
        with pytest.raises(RuntimeError, match="before it starts"):
            listener.watch("agora_test_late")

        erased_before, other_before = erased.generation, other.generation
        await _notify(counters_db, OTHER)

        async def other_moved() -> bool:
            return other.generation != other_before

        await eventually(other_moved, timeout=10)
        await asyncio.sleep(0.2)  # a stray move of the other channel would show by now
        assert erased.generation == erased_before
    finally:
        await listener.stop()
    assert not erased.listening
    assert not other.listening
