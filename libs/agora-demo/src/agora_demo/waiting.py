"""Waiting for asynchronous outcomes: poll a gRPC read until it shows what we expect,
with a deadline, and fail loudly naming what we waited for and what we last saw."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc

T = TypeVar("T")

# Reads that are NOT_FOUND until an event has reached the answering service (for
# example community learning of a catalog item) count as "not yet".
_NOT_YET = (grpc.StatusCode.NOT_FOUND,)


class OutcomeMissing(Exception):
    """An asynchronous outcome did not arrive before the deadline."""

    def __init__(self, what: str, seconds: float, last_seen: str) -> None:
        super().__init__(
            f"waited {seconds:.0f}s for {what}, it did not happen; last seen: {last_seen}"
        )
        self.what = what
        self.last_seen = last_seen


async def wait_until(
    what: str,
    read: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    timeout: float,
    describe: Callable[[T], str] = repr,
) -> T:
    """Call ``read`` until ``done(result)``; OutcomeMissing after ``timeout`` seconds.

    The interval grows from 0.2 s to 2 s: quick when the platform is quick, gentle on
    a loaded machine.
    """
    started = time.monotonic()
    interval = 0.2
    last_seen = "nothing yet"
    while True:
        try:
            result = await read()
        except grpc.aio.AioRpcError as error:
            if error.code() not in _NOT_YET:
                raise
            last_seen = f"{error.code().name}: {error.details()}"
        else:
            if done(result):
                return result
            last_seen = describe(result)
        elapsed = time.monotonic() - started
        if elapsed >= timeout:
            raise OutcomeMissing(what, elapsed, last_seen)
        await asyncio.sleep(min(interval, max(0.0, timeout - elapsed)))
        interval = min(interval * 1.5, 2.0)


async def call_when_known(what: str, call: Callable[[], Awaitable[T]], *, timeout: float) -> T:
    """Retry ``call`` while it answers NOT_FOUND (its target has not reached the
    service yet through Kafka); any other error is raised at once."""
    return await wait_until(what, call, lambda _: True, timeout=timeout)
