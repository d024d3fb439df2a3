"""``plan`` and ``apply`` as a command: settings from the environment, progress on stdout.

Shared by ``python -m agora_core.topics`` (what the Compose init service and the Helm
hook run) and ``agora topics`` in the CLI. Exit codes: 0 done (``plan`` also when it
finds differences: it only reports), 1 the brokers refused or did not answer, 2 bad
configuration.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Sequence
from typing import Literal, TextIO

from aiokafka.errors import KafkaError

from agora_core.settings import ConfigError, KafkaSettings, load_settings
from agora_core.topics.apply import ApplyFailed, apply_plan
from agora_core.topics.cluster import admin_client, read_topics, start_admin
from agora_core.topics.desired import TopicSpec, desired_topics, platform_registry
from agora_core.topics.drift import plan_topics
from agora_core.topics.report import plan_table
from agora_core.topics.settings import TopicsSettings

Command = Literal["plan", "apply"]


def run_command(
    command: Command,
    *,
    bootstrap_servers: str | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run ``plan`` or ``apply`` on the platform's topics; returns the exit code.

    ``bootstrap_servers`` overrides ``AGORA_KAFKA_BOOTSTRAP_SERVERS`` (the agora CLI's
    ``--kafka``); everything else comes from the environment.
    """
    # Resolved per call: a test runner may have swapped sys.stdout since import.
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    overrides = {} if bootstrap_servers is None else {"kafka_bootstrap_servers": bootstrap_servers}
    try:
        kafka = load_settings(KafkaSettings, **overrides)
        topics = load_settings(TopicsSettings)
    except ConfigError as error:
        print(f"agora topics: {error}", file=err)
        return 2
    desired = desired_topics(platform_registry(), topics)
    try:
        asyncio.run(_run(command, kafka, topics, desired, out))
    except ApplyFailed as error:
        print(f"agora topics: apply failed: {error}", file=err)
        return 1
    except (KafkaError, OSError) as error:
        print(
            f"agora topics: Kafka at {kafka.kafka_bootstrap_servers} "
            f"({kafka.kafka_security_protocol}): {error!r}",
            file=err,
        )
        return 1
    return 0


async def _run(
    command: Command,
    kafka: KafkaSettings,
    settings: TopicsSettings,
    desired: Sequence[TopicSpec],
    out: TextIO,
) -> None:
    started = time.monotonic()

    def progress(line: str) -> None:
        print(f"topics [{time.monotonic() - started:5.1f}s] {line}", file=out, flush=True)

    progress(f"connecting to {kafka.kafka_bootstrap_servers} ({kafka.kafka_security_protocol})")
    admin = admin_client(kafka)
    try:
        await start_admin(admin, settings.wait_seconds, progress)
        plan = plan_topics(desired, await read_topics(admin, [s.name for s in desired]))
        print(plan_table(plan), file=out, flush=True)
        if command == "plan":
            return
        if not plan.to_apply:
            progress("nothing to apply")
            return
        progress(f"applying {len(plan.to_apply)} changes")
        after = await apply_plan(admin, plan, progress=progress)
        progress(f"done: {len(after.in_sync)} of {len(after.desired)} topics in sync")
    finally:
        await admin.close()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m agora_core.topics plan|apply``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1 or args[0] not in ("plan", "apply"):
        print(
            "usage: python -m agora_core.topics plan|apply\n"
            "  plan   report missing topics, too few partitions and differing configs\n"
            "  apply  create, raise partitions (never lowers) and align configs\n"
            "settings: AGORA_TOPICS_* (partitions, replication, retention) and the\n"
            "services' AGORA_KAFKA_* connection variables (docs/messaging.md, Topics)",
            file=sys.stderr,
        )
        return 2
    command: Command = "plan" if args[0] == "plan" else "apply"
    # aiokafka logs each refused connection; the command reports the outcome itself.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    return run_command(command)
