"""A periodic task keeps ticking through failures and stops cleanly."""

from __future__ import annotations

import asyncio

import pytest

from agora_core.background import PeriodicTask

pytestmark = pytest.mark.unit


async def test_ticks_survive_failures_and_stop_ends_the_loop() -> None:
    ticks: list[int] = []
    enough = asyncio.Event()

    async def tick() -> None:
        ticks.append(len(ticks))
        if len(ticks) == 5:
            enough.set()
        if len(ticks) % 2:
            raise RuntimeError("database hiccup")

    task = PeriodicTask("test-ticker", tick, interval=0.001)
    task.start()
    task.start()  # starting twice keeps one loop
    await asyncio.wait_for(enough.wait(), timeout=5)
    assert task.running
    await task.stop()
    assert not task.running
    stopped_at = len(ticks)
    await asyncio.sleep(0.01)
    assert len(ticks) == stopped_at >= 5
