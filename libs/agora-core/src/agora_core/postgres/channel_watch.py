"""Knowing that no NOTIFY on a channel was missed since a given moment.

A :class:`Listener` keeps one connection of its own on ``LISTEN`` for every channel it
was asked to watch (a replica's outbox wake-ups and erased callers share it). Each
channel's :class:`ChannelWatch` has a ``generation`` that moves on every notification
of that channel and whenever listening stops or starts, so a reader that remembered
generation *g* and still sees *g* while ``listening`` knows that nothing was notified
on the channel in between. A channel listens only once the listener has received a
notification it sent itself on that channel: behind a pooler that cannot deliver
notifications (PgBouncer in transaction mode) it never claims to listen, and readers
fall back to asking the database.
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
    """One channel of a :class:`Listener`: its generation and whether it listens.
    ``on_change`` is called whenever the generation moves (the outbox relay wakes on it)."""

    def __init__(self, channel: str, on_change: Callable[[], None] | None) -> None:
        self.channel = channel
        self._on_change = on_change
        self._generation = 0
        self._listening = False

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def listening(self) -> bool:
        return self._listening

    def heard(self, *, own_probe: bool) -> None:
        """A notification on the channel (called by the listener); its own probe proves
        that the connection delivers them."""
        if own_probe:
            self._listening = True
        self._moved()

    def lost(self) -> None:
        """Listening stopped (called by the listener): nothing is known any more."""
        self._listening = False
        self._moved()

    def _moved(self) -> None:
        self._generation += 1
        if self._on_change is not None:
            self._on_change()


class Listener:
    """Follows NOTIFY on its watches' channels over one connection; reconnects after
    failures. Channels are added before :meth:`start`."""

    def __init__(self, dsn: str, *, name: str, max_backoff: float = 30.0) -> None:
        self._dsn = dsn
        self._name = name
        self._max_backoff = max_backoff
        self._watches: dict[str, ChannelWatch] = {}
        self._failures = 0
        self._task: asyncio.Task[None] | None = None

    def watch(self, channel: str, *, on_change: Callable[[], None] | None = None) -> ChannelWatch:
        """The watch of ``channel`` (one per channel)."""
        if self._task is not None:
            raise RuntimeError("a listener's channels are added before it starts")
        if channel in self._watches:
            raise ValueError(f"channel {channel!r} is already watched")
        watch = self._watches[channel] = ChannelWatch(channel, on_change)
        return watch

    def start(self) -> None:
        if self._task is None and self._watches:
            self._task = asyncio.create_task(self._run(), name=f"listen-{self._name}")

    async def stop(self) -> None:
        self._deaf()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _deaf(self) -> None:
        for watch in self._watches.values():
            watch.lost()

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # readers ask the database meanwhile
                self._failures += 1
                log.warning("listener failed", listener=self._name, error=repr(error))
            finally:
                self._deaf()
            await asyncio.sleep(min(self._max_backoff, 0.5 * 2**self._failures))

    async def _listen(self) -> None:
        options = connection_options(application_name=f"agora-{self._name}")
        async with await psycopg.AsyncConnection.connect(self._dsn, **options) as connection:
            probes = {channel: f"probe-{uuid.uuid4().hex}" for channel in self._watches}
            for channel in self._watches:
                await connection.execute(f'LISTEN "{channel}"')
            for channel, probe in probes.items():
                await connection.execute("SELECT pg_notify(%s, %s)", (channel, probe))
            async for notification in connection.notifies():
                watch = self._watches.get(notification.channel)
                if watch is None:
                    continue
                own_probe = notification.payload == probes[notification.channel]
                if own_probe:
                    self._failures = 0
                watch.heard(own_probe=own_probe)
