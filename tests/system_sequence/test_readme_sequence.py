"""The README's commands in the order a new user types them, on the default
environments: ``make up``, ``make demo``, the test suite, ``make up``, ``make demo``.

Before the environments were split, the second demo failed after 90 s: the test suite
had run on the platform's broker and database, and the services first dead-lettered
thousands of fuzzed events. Here the suite's share is its fuzzing (``tests/security``,
thousands of hostile events), run in the test environment while the platform runs;
the platform's topics must not gain one record from it, and the second demo must pass
as the first did.

Needs the platform's default ports free (stop your platform first) and several
minutes: it runs by its own command, ``make check-sequence``, not in ``make test``.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from agora_platform.config import load_config

pytestmark = [pytest.mark.sequence, pytest.mark.timeout(3600)]

ROOT = Path(__file__).resolve().parents[2]


def _platform_environ() -> dict[str, str]:
    """The developer's shell: none of the test environment's variables."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AGORA_")}


def _run(command: list[str], env: dict[str, str], timeout: float) -> tuple[int, str, float]:
    started = time.monotonic()
    done = subprocess.run(  # noqa: S603  # our own commands
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


async def _end_offsets(bootstrap: str) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        topics = [t for t in await consumer.topics() if t.startswith("agora.")]
        partitions = [
            TopicPartition(t, p)
            for t in topics
            for p in sorted(consumer.partitions_for_topic(t) or ())
        ]
        return dict(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()


def test_up_demo_tests_up_demo() -> None:
    platform = _platform_environ()
    config = load_config(ROOT, platform)
    busy = [p for p in (config.kafka_port, config.postgres_port) if not _port_free(p)]
    assert not busy, f"the platform's ports {busy} are in use: run `make down` first"
    try:
        code, out, _ = _run(["make", "up"], platform, 1200)
        assert code == 0, out
        code, out, first = _run([sys.executable, "-m", "agora_demo"], platform, 600)
        assert code == 0, out

        before = asyncio.run(_end_offsets(config.kafka_bootstrap))
        # The test suite's fuzzing, in the test environment (this process's variables).
        code, out, _ = _run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/security"],
            dict(os.environ),
            2400,
        )
        assert code == 0, out[-5000:]
        after = asyncio.run(_end_offsets(config.kafka_bootstrap))
        grown = {f"{tp.topic}[{tp.partition}]": after[tp] - n for tp, n in before.items()}
        assert {k: v for k, v in grown.items() if v} == {}, "the tests wrote to the platform"

        code, out, _ = _run(["make", "up"], platform, 600)
        assert code == 0, out
        code, out, second = _run([sys.executable, "-m", "agora_demo"], platform, 600)
        assert code == 0, out
        # As fast as the first (the reminder delay dominates both), with headroom.
        assert second < first * 1.5 + 30, (first, second)
    finally:
        _run(["make", "down"], platform, 600)
