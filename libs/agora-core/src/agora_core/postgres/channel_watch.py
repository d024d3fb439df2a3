"""Knowing that no NOTIFY on a channel was missed since a given moment.

A :class:`ChannelWatch` keeps a connection of its own on ``LISTEN <channel>``. Its
``generation`` moves on every notification and whenever listening stops or starts, so a
reader that remembered generation *g* and still sees *g* while ``listening`` knows that
nothing was notified in between. Listening starts only once the watch has received a
notification it sent itself: behind a pooler that cannot deliver notifications
(PgBouncer in transaction mode) it never claims to listen, and readers fall back to
asking the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable

import psycopg
import structlog

from agora_core.postgres.pool import connection_options

log = structlog.get_logger(__name__)


class ChannelWatch:
    """Follows NOTIFY on ``channel``; reconnects after failures. ``on_change`` is called
    whenever the generation moves (the outbox relay wakes on it)."""

    def __init__(
        self,
        dsn: str,
        channel: str,
        *,
        name: str,
        on_change: Callable[[], None] | None = None,
        max_backoff: float = 30.0,
    ) -> None:
        self._dsn = dsn
        self._on_change = on_change
        self._channel = channel
        self._name = name
        self._max_backoff = max_backoff
        self._generation = 0
        self._listening = False
        self._failures = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def listening(self) -> bool:
        return self._listening

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"watch-{self._name}")

    async def stop(self) -> None:
        self._deaf()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _deaf(self) -> None:
        self._listening = False
        self._moved()

    def _moved(self) -> None:
        self._generation += 1
        if self._on_change is not None:
            self._on_change()

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # readers ask the database meanwhile
                self._failures += 1
                log.warning("channel watch failed", channel=self._channel, error=repr(error))
            finally:
                self._deaf()
            await asyncio.sleep(min(self._max_backoff, 0.5 * 2**self._failures))

    async def _listen(self) -> None:
        options = connection_options(application_name=f"agora-{self._name}")
        async with await psycopg.AsyncConnection.connect(self._dsn, **options) as connection:
            await connection.execute(f'LISTEN "{self._channel}"')
            probe = f"probe-{uuid.uuid4().hex}"
            await connection.execute("SELECT pg_notify(%s, %s)", (self._channel, probe))
            async for notification in connection.notifies():
                if notification.payload == probe:
                    self._listening = True  # delivery proven on this connection
                    self._failures = 0
                self._moved()
