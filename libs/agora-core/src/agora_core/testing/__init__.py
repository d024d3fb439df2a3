"""Helpers for tests of services built on agora-core (real infrastructure only).

- :func:`eventually`: wait for an asynchronous state instead of sleeping a guess.
- :func:`free_port`: a loopback port nobody listens on (for processes started apart).
- :mod:`.grpc_assertions`: dev-mode callers and exact assertions on gRPC failures.
- :mod:`.event_tap`: record the events a service publishes on the real broker and
  publish the events a service consumes.
- :mod:`.service_harness`: settings for a test instance and a running service on free
  ports, in-process.
- :class:`SaslListener`: the test broker's listener that requires a SASL login.

Needs the dev dependency group (pytest); never imported by service code.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from agora_core.ports import free_port as free_port


@dataclass(frozen=True)
class SaslListener:
    """A broker listener that requires a SASL (PLAIN) login, and its one user."""

    address: str
    username: str
    password: str


async def eventually(
    check: Callable[[], Awaitable[bool]], *, timeout: float = 30.0, interval: float = 0.1
) -> None:
    """Poll ``check`` until it is true; fail naming the check at the deadline.

    Consumers and relays work asynchronously: tests wait for a state, never a guess
    of how long it takes.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await check():
            return
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s: {check.__qualname__}")
