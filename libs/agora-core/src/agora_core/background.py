"""Periodic background work inside a service process (deadline sweeps, schedulers).

One loop shape for all of them: run the tick, log a failure and keep going (a database
hiccup must not end the loop for the life of the process), sleep, repeat; stop cancels
cleanly. Work that must not run twice across replicas claims its documents itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)


class PeriodicTask:
    """Calls ``tick`` every ``interval`` seconds from :meth:`start` until :meth:`stop`."""

    def __init__(self, name: str, tick: Callable[[], Awaitable[object]], interval: float) -> None:
        self.name = name
        self._tick = tick
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self._tick()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # keep going: the next tick retries
                log.warning("background tick failed", task=self.name, error=repr(error))
            await asyncio.sleep(self._interval)
